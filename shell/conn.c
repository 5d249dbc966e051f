/* DOC: svrsh's connection to svrd
 *
 * The lowest layer of the shell: the management socket, one request at
 * a time, a reconnection when svrd went away.  Everything above asks svrd
 * through svrsh_call; nothing here prints but an error.
 */
#include "config.h"

#include <errno.h>
#include <libcli.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event.h"
#include "json.h"
#include "mgmt.h"
#include "sock.h"
#include "svrsh.h"

struct svrsh *svrsh_of(struct cli_def *cli)
{
	return cli_get_context(cli);
}

int svrsh_connect(struct svrsh *sh, char *err, size_t errlen)
{
	struct json *hello;

	mgmt_close(sh->mc);
	sh->mc = mgmt_connect(sh->socket_path, err, errlen);
	if (!sh->mc)
		return -1;
	hello = mgmt_call(sh->mc, "hello", NULL, err, errlen);
	if (!hello || !json_get_bool(hello, "ok", false)) {
		if (hello)
			snprintf(
				err, errlen, "svrd refused the session: %s",
				json_get_str(json_get(hello, "error"), "message", "unknown error"));
		json_free(hello);
		mgmt_close(sh->mc);
		sh->mc = NULL;
		return -1;
	}
	free(sh->router);
	free(sh->node);
	/* the prompt is printed by libcli, not through the print callbacks */
	sh->router = svrsh_clean(json_get_str(json_get(hello, "data"), "router", "?"));
	sh->node = svrsh_clean(json_get_str(json_get(hello, "data"), "node", "?"));
	json_free(hello);
	return 0;
}

static struct json *call(struct svrsh *sh, const char *op, struct json *args, bool loud)
{
	char err[512] = "not connected to svrd";
	struct json *reply = NULL, *data, *e, *list, *warn;

	if (sh->mc)
		reply = mgmt_call(sh->mc, op, args, err, sizeof(err));
	/* The connection died (svrd restarted): reconnect once and retry. */
	if (!reply && svrsh_connect(sh, err, sizeof(err)) == 0)
		reply = mgmt_call(sh->mc, op, args, err, sizeof(err));
	json_free(args);
	if (!reply) {
		if (loud)
			cli_error(sh->cli, "%% Error: %s", err);
		return NULL;
	}
	if (!json_get_bool(reply, "ok", false)) {
		e = json_get(reply, "error");
		list = json_get(e, "errors");
		for (size_t i = 0; loud && i < json_len(list); i++) {
			const struct json *it = json_at(list, i);
			const char *path = json_get_str(it, "path", NULL);

			cli_error(sh->cli, "%% %s: %s%s%s",
				  json_get_bool(it, "warning", false) ? "Warning" : "Error",
				  path ? path : "", path ? ": " : "",
				  json_get_str(it, "message", "failed"));
		}
		if (loud && !list) {
			const char *path = json_get_str(e, "path", NULL);

			cli_error(sh->cli, "%% Error: %s%s%s", path ? path : "", path ? ": " : "",
				  json_get_str(e, "message", "failed"));
		}
		json_free(reply);
		return NULL;
	}
	data = json_take(reply, "data");
	json_free(reply);
	warn = json_get(data, "warnings");
	for (size_t i = 0; loud && i < json_len(warn); i++) {
		const struct json *it = json_at(warn, i);
		const char *path = json_get_str(it, "path", NULL);

		cli_error(sh->cli, "%% Warning: %s%s%s", path ? path : "", path ? ": " : "",
			  json_get_str(it, "message", ""));
	}
	return data ? data : json_new_object();
}

struct json *svrsh_call(struct svrsh *sh, const char *op, struct json *args)
{
	return call(sh, op, args, true);
}

struct json *svrsh_call_quiet(struct svrsh *sh, const char *op, struct json *args)
{
	return call(sh, op, args, false);
}
