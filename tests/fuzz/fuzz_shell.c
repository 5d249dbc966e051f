/* Fuzz target: a line as the shell reads it, for help and completion
 * (complete.c walking the commands, their arguments, the filters and the
 * configuration schema), the aliases, "| display set", the words, and a
 * configuration line carried out (its enum values expanded; svrd is not
 * there, so the call fails as when svrd went away).  The first byte picks
 * the mode and the level; the rest is the line.  The schema is a
 * get-schema reply saved in shell-schema.json. */
#include <libcli.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "svrsh.h"

static struct svrsh sh;

static void quiet(struct cli_def *cli, const char *line)
{
	(void)cli;
	(void)line;
}

static void init(void)
{
	FILE *f = fopen(SHELL_SCHEMA, "r");
	static char buf[1 << 20];
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	char err[128];

	if (f)
		fclose(f);
	sh.socket_path = strdup("/dev/null/svrd.sock"); /* never connects */
	sh.user = strdup("fuzz");
	sh.batch = true;
	sh.last_commit = -1;
	sh.cli = cli_init();
	cli_unregister_command(sh.cli, "enable");
	cli_set_context(sh.cli, &sh);
	cli_print_callback(sh.cli, quiet);
	commands_register(&sh);
	pipes_register(&sh);
	schema_tree_use(json_parse(buf, n, err, sizeof(err)));
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static const char *const levels[] = {
		"",
		"/opensvr:authority",
		"/opensvr:authority/router",
		"/opensvr:authority/router/node/device-interface/network-interface",
	};
	char line[4096];
	struct comp c;
	bool misused;
	char *a;

	if (!sh.cli)
		init();
	if (size < 1)
		return 0;
	sh.config_mode = data[0] & 1;
	schema_tree_set_level(&sh, levels[(data[0] >> 1) & 3]);
	size = size - 1 < sizeof(line) - 1 ? size - 1 : sizeof(line) - 1;
	memcpy(line, data + 1, size);
	line[size] = '\0';
	complete_line(&sh, line, &c);
	complete_sort(&c);
	comp_free(&c);
	free(svrsh_alias(line, data[0] & 8));
	svrsh_display_set(line, &misused);
	if ((a = complete_suggest(&sh, line)))
		free(a);
	if (data[0] & 16)
		svrsh_config_line(&sh, line);
	return 0;
}
