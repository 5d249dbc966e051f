/* DOC: output rendering
 *
 * Only the shell writes text for people.  Every show command uses the frame
 * of the seed's outputs: a date line, "✔ Retrieving WHAT...", the body,
 * "Completed in N.NN seconds".  Values that change from run to run (dates,
 * durations, PIDs, versions of system libraries) are exactly the ones
 * tests/golden/normalise.sed rewrites; keep that file in step with this one.
 */
#include "config.h"

#include <libcli.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "event.h"
#include "json.h"
#include "svrsh.h"

void render_begin(struct cli_def *cli)
{
	svrsh_of(cli)->cmd_start_ms = ev_now_ms();
	pager_begin(svrsh_of(cli));
}

void render_date(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(buf, len, "%a %Y-%m-%d %H:%M:%S %Z", &tm);
}

void render_header(struct cli_def *cli, const char *what)
{
	char date[64];

	render_date(date, sizeof(date));
	cli_print(cli, "%s", date);
	cli_print(cli, "\u2714 Retrieving %s...", what);
}

void render_footer(struct cli_def *cli)
{
	struct svrsh *sh = svrsh_of(cli);
	uint64_t ms = ev_now_ms() - sh->cmd_start_ms;

	cli_print(cli, "Completed in %.2f seconds", (double)ms / 1000.0);
	pager_end(sh);
}

void render_banner(struct cli_def *cli, const char *title)
{
	char rule[128];
	size_t n = strlen(title) + 2;

	if (n >= sizeof(rule))
		n = sizeof(rule) - 1;
	memset(rule, '=', n);
	rule[n] = '\0';
	cli_print(cli, "%s", rule);
	cli_print(cli, " %s", title);
	cli_print(cli, "%s", rule);
}

/* "  Label:<pad>value" with values aligned at column 22, as the seed's
 * show peers security. */
void render_field(struct cli_def *cli, const char *label, const char *fmt, ...)
{
	char value[512], key[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	snprintf(key, sizeof(key), "%s:", label);
	cli_print(cli, "  %-20s%s", key, value);
}

void render_duration(char *buf, int len, int64_t s)
{
	if (s < 0)
		s = 0;
	snprintf(buf, (size_t)len, "%lld hrs %lld min %lld sec", (long long)(s / 3600),
		 (long long)(s / 60 % 60), (long long)(s % 60));
}

int render_fetch(struct cli_def *cli, const char *op, struct json **out)
{
	struct svrsh *sh = svrsh_of(cli);
	struct json *data;

	*out = NULL;
	render_begin(cli);
	data = svrsh_call(sh, op, NULL);
	if (!data)
		return CLI_ERROR;
	if (sh->display_json) {
		print_json(cli, data);
		json_free(data);
		return CLI_OK;
	}
	*out = data;
	return CLI_OK;
}
