/* DOC: svrsh's prompt and questions
 *
 * What the operator sees of the session's state: the prompt (user, node,
 * router, configuration level, '*' for a changed candidate) and yes/no
 * questions, which batch mode answers yes.
 */
#include "config.h"

#include <libcli.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "svrsh.h"

bool svrsh_confirm(struct svrsh *sh, const char *question)
{
	char answer[16];
	size_t n = 0;
	char c;

	if (sh->batch)
		return true;
	dprintf(STDOUT_FILENO, "%s [y/N]: ", question);
	while (read(STDIN_FILENO, &c, 1) == 1) {
		if (c == '\r' || c == '\n')
			break;
		if (c == 3 || c == 4) { /* Ctrl-C, Ctrl-D: no */
			n = 0;
			break;
		}
		if ((c == 127 || c == 8) && n) {
			n--;
			dprintf(STDOUT_FILENO, "\b \b");
			continue;
		}
		if (n + 1 < sizeof(answer) && c >= ' ') {
			answer[n++] = c;
			dprintf(STDOUT_FILENO, "%c", c);
		}
	}
	dprintf(STDOUT_FILENO, "\r\n");
	answer[n] = '\0';
	return strcmp(answer, "y") == 0 || strcmp(answer, "Y") == 0 || strcmp(answer, "yes") == 0;
}

void svrsh_update_prompt(struct svrsh *sh)
{
	char host[256];

	if (sh->config_mode)
		snprintf(host, sizeof(host), "%s%s@%s.%s (%s)", sh->changed ? "*" : "", sh->user,
			 sh->node, sh->router, sh->level ? sh->level : "config");
	else
		snprintf(host, sizeof(host), "%s%s@%s.%s", sh->changed ? "*" : "", sh->user,
			 sh->node, sh->router);
	cli_set_hostname(sh->cli, host);
	cli_set_promptchar(sh->cli, "# ");
}

const char *svrsh_prompt(struct svrsh *sh)
{
	static char prompt[512];

	snprintf(prompt, sizeof(prompt), "%s%s%s", sh->cli->hostname,
		 sh->cli->modestring ? sh->cli->modestring : "", sh->cli->promptchar);
	return prompt;
}
