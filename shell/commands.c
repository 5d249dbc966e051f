/* DOC: operational commands
 *
 * The command tree of operational mode.  Each command asks svrd for
 * structured data over the management socket and renders it (render.c).
 * Configuration lines are not commands here: they go to svrd as typed
 * (config_line.c), and help for them comes from the schema (complete.c).
 */
#include "config.h"

#include <libcli.h>
#include <stdio.h>
#include <stdlib.h>

#include "json.h"
#include "svrsh.h"

static int no_args(struct cli_def *cli, const char *command, int argc, char **argv)
{
	if (argc == 0)
		return 0;
	cli_error(cli, "%% Error: %s takes no argument, got '%s'", command, argv[0]);
	return -1;
}

static int cmd_show_version(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct svrsh *sh = svrsh_of(cli);
	struct json *v;
	char title[160], up[64];

	render_begin(cli);
	if (no_args(cli, command, argc, argv) < 0)
		return CLI_ERROR;
	v = svrsh_call(sh, "get-version", NULL);
	if (!v)
		return CLI_ERROR;
	if (sh->display_json) {
		print_json(cli, v);
		json_free(v);
		return CLI_OK;
	}
	render_header(cli, "version");
	cli_print(cli, "%s", "");
	snprintf(title, sizeof(title), "%s.%s", json_get_str(v, "node", "?"),
		 json_get_str(v, "router", "?"));
	render_banner(cli, title);
	render_field(cli, "Version", "opensvr %s", json_get_str(v, "version", "?"));
	render_field(cli, "Router", "%s", json_get_str(v, "router", "?"));
	render_field(cli, "Node", "%s", json_get_str(v, "node", "?"));
	render_duration(up, sizeof(up), json_get_int(v, "uptime-ms", 0) / 1000);
	render_field(cli, "Uptime", "%s", up);
	render_field(cli, "Process", "svrd pid %lld", (long long)json_get_int(v, "pid", 0));
	render_field(cli, "Shell", "svrsh %s", PACKAGE_VERSION);
	render_field(cli, "OpenSSL", "%s", json_get_str(v, "openssl", "?"));
	render_field(cli, "libyang", "%s", json_get_str(v, "libyang", "?"));
	render_field(cli, "Kernel", "%s", json_get_str(v, "kernel", "?"));
	cli_print(cli, "%s", "");
	render_footer(cli);
	json_free(v);
	return CLI_OK;
}

/* The node's whole operational state as the model has it (YANG data in
 * JSON, RFC 7951): what every show command renders a part of, for tools
 * and for a check against the model. */
static int cmd_show_state(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct json *v;

	render_begin(cli);
	if (no_args(cli, command, argc, argv) < 0)
		return CLI_ERROR;
	v = svrsh_call(svrsh_of(cli), "get-state", NULL);
	if (!v)
		return CLI_ERROR;
	print_json(cli, json_get(v, "state"));
	json_free(v);
	return CLI_OK;
}

void commands_register(struct svrsh *sh)
{
	struct cli_command *show, *clear, *show_config;

	show = cli_register_command(sh->cli, NULL, "show", config_show_level,
				    PRIVILEGE_UNPRIVILEGED, MODE_ANY, "Show operational state");
	cli_register_command(sh->cli, show, "version", cmd_show_version, PRIVILEGE_UNPRIVILEGED,
			     MODE_ANY, "Software versions of this router node");
	cli_register_command(sh->cli, show, "state", cmd_show_state, PRIVILEGE_UNPRIVILEGED,
			     MODE_ANY, "This node's operational state as YANG data (JSON)");
	show_config = config_commands_register(sh, show);
	security_commands_register(sh, show);
	clear = alarm_commands_register(sh, show);
	session_commands_register(sh, show, clear);
	ping_commands_register(sh);
	enrol_commands_register(sh, show, show_config);
	monitor_commands_register(sh);
}
