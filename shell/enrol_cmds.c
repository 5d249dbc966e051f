/* Enrolment (doc/conductor.md): on the conductor, `request
 * enrolment-token ROUTER` prints the line a new router needs; on the
 * router, `enrol ADDRESS TOKEN` uses it.
 *
 * enrol does the talking here, so svrd never waits on the network: it
 * asks svrd for a certificate request (svrd makes and keeps the key),
 * opens NETCONF over SSH to the conductor, and before it says anything
 * checks that the conductor's host key is the one the token pins; then it
 * logs in as the router with the token and sends the request (the enrol
 * operation), and hands what comes back to svrd, which checks it is for
 * its key and installs it. */
#include "config.h"

#include <libcli.h>
#include <libyang/libyang.h>
#include <nc_client.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "enrol_token.h"
#include "json.h"
#include "nc_ctx.h"
#include "svrsh.h"

#define ENROL_PORT    830
#define ENROL_WAIT_MS 15000

/* ---- request enrolment-token ---------------------------------------------- */

/* t (seconds since the epoch) as UTC in fmt (strftime's) */
static void when_fmt(int64_t t, const char *fmt, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, len, fmt, &tm);
}

static void when(int64_t t, char *out, size_t len)
{
	when_fmt(t, "%Y-%m-%d %H:%M UTC", out, len);
}

static int cmd_token(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct json *args, *d;
	char until[64];

	if (argc != 1) {
		cli_error(cli, "%% Error: %s ROUTER (a router of the authority)", command);
		return CLI_ERROR;
	}
	args = json_new_object();
	json_set(args, "router", json_new_str(argv[0]));
	if (!(d = svrsh_call(svrsh_of(cli), "enrolment-token", args)))
		return CLI_ERROR;
	when(json_get_int(d, "expires", 0), until, sizeof(until));
	cli_print(cli, "Enrolment token for router %s (good once, until %s):",
		  json_get_str(d, "router", "?"), until);
	cli_print(cli, " ");
	cli_print(cli, "  %s", json_get_str(d, "token", "?"));
	cli_print(cli, " ");
	cli_print(cli, "On %s, as root: svrsh -c 'enrol CONDUCTOR-ADDRESS TOKEN'",
		  json_get_str(d, "router", "?"));
	json_free(d);
	return CLI_OK;
}

/* request certificate-renewal ROUTER: on the conductor, a new certificate
 * for a connected router now rather than in the last third of its life. */
static int cmd_renew(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct json *args, *d;

	if (argc != 1) {
		cli_error(cli, "%% Error: %s ROUTER (a router that has called home)", command);
		return CLI_ERROR;
	}
	args = json_new_object();
	json_set(args, "router", json_new_str(argv[0]));
	if (!(d = svrsh_call(svrsh_of(cli), "certificate-renewal", args)))
		return CLI_ERROR;
	cli_print(cli,
		  "Router %s gets a new certificate within seconds (show log: \"has a new "
		  "certificate\")",
		  argv[0]);
	json_free(d);
	return CLI_OK;
}

/* ---- enrol ---------------------------------------------------------------- */

struct enrol_ctx {
	struct enrol_token t;
	const char *password; /* the token's text */
	bool pin_ok;
};

/* The conductor must be the one the token names: its host key's SHA-256
 * is the pin.  Anything else ends the connection before a word is said. */
static int hostkey_check(const char *host, ssh_session s, void *arg)
{
	struct enrol_ctx *e = arg;
	ssh_key key = NULL;
	unsigned char *hash = NULL;
	size_t len = 0;

	(void)host;
	e->pin_ok = ssh_get_server_publickey(s, &key) == SSH_OK &&
		    ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &len) == 0 &&
		    len == ENROL_PIN_LEN && memcmp(hash, e->t.pin, len) == 0;
	ssh_clean_pubkey_hash(&hash);
	ssh_key_free(key);
	return e->pin_ok ? 0 : -1;
}

static char *password_cb(const char *user, const char *host, void *arg)
{
	struct enrol_ctx *e = arg;

	(void)user;
	(void)host;
	return strdup(e->password);
}

static void quiet(NC_VERB_LEVEL level, const char *msg)
{
	(void)level;
	(void)msg;
}

/* A libyang context with the model, for the session's replies: every
 * module the server announces, so the client asks for none (an enrolment
 * session may only enrol). */
static struct ly_ctx *model_ctx(void)
{
	static const char *const dirs[] = {SOURCE_YANG_DIR, YANGDIR};
	struct ly_ctx *ctx = NULL;

	for (size_t i = 0; i < 2 && !ctx; i++) {
		char probe[4096];

		snprintf(probe, sizeof(probe), "%s/opensvr.yang", dirs[i]);
		if (access(probe, R_OK) == 0)
			ctx = nc_ctx_new(dirs[i], 1);
	}
	return ctx;
}

/* The output leaves of the enrol reply, as certificate-install's args. */
static struct json *reply_args(const struct lyd_node *op)
{
	struct json *a = json_new_object(), *addrs = json_new_array();
	const struct lyd_node *c;

	LY_LIST_FOR(lyd_child(op), c)
	{
		if (!strcmp(LYD_NAME(c), "conductor-address"))
			json_append(addrs, json_new_str(lyd_get_value(c)));
		else if (c->schema && (c->schema->nodetype & LYD_NODE_TERM))
			json_set(a, LYD_NAME(c), json_new_str(lyd_get_value(c)));
	}
	json_set(a, "conductor-address", addrs);
	return a;
}

/* The enrol operation on the conductor at host: the reply's output as
 * install args, or NULL after saying why. */
static struct json *ask_conductor(struct cli_def *cli, struct enrol_ctx *e, const char *host,
				  uint16_t port, const char *csr)
{
	struct ly_ctx *ctx = model_ctx();
	struct nc_session *s = NULL;
	struct nc_rpc *rpc = NULL;
	struct lyd_node *envp = NULL, *op = NULL;
	struct json *out = NULL;
	char *xml = NULL;
	uint64_t id;

	if (!ctx) {
		cli_error(cli, "%% Error: enrol: the YANG modules cannot be loaded");
		return NULL;
	}
	nc_client_init();
	nc_set_print_clb(quiet); /* what went wrong is said below, once */
	nc_client_ssh_set_username(e->t.router);
	nc_client_ssh_set_auth_pref(NC_SSH_AUTH_PUBLICKEY, -1);
	nc_client_ssh_set_auth_pref(NC_SSH_AUTH_INTERACTIVE, -1);
	nc_client_ssh_set_auth_pref(NC_SSH_AUTH_PASSWORD, 1);
	nc_client_ssh_set_auth_password_clb(password_cb, e);
	nc_client_ssh_set_auth_hostkey_check_clb(hostkey_check, e);
	s = nc_connect_ssh(host, port, ctx);
	if (!s) {
		cli_error(cli, "%% Error: enrol: %s",
			  !e->pin_ok ? "the conductor is not the one the token names (its host "
				       "key does not match the token's pin), or cannot be reached"
				     : "the conductor refused the token (used, expired, or for "
				       "another router)");
		goto out;
	}
	if (asprintf(&xml,
		     "<enrol xmlns=\"urn:opensvr:yang:opensvr\"><certificate-request>%s"
		     "</certificate-request></enrol>",
		     csr) < 0 ||
	    !(rpc = nc_rpc_act_generic_xml(xml, NC_PARAMTYPE_CONST)) ||
	    nc_send_rpc(s, rpc, ENROL_WAIT_MS, &id) != NC_MSG_RPC ||
	    nc_recv_reply(s, rpc, id, ENROL_WAIT_MS, &envp, &op) != NC_MSG_REPLY || !op) {
		const char *msg = NULL;
		struct lyd_node *m = NULL;

		if (envp && lyd_find_path(envp, "rpc-error/error-message", 0, &m) == LY_SUCCESS)
			msg = lyd_get_value(m);
		cli_error(cli, "%% Error: enrol: the conductor did not issue a certificate%s%s",
			  msg ? ": " : "", msg ? msg : "");
		goto out;
	}
	out = reply_args(op);
out:
	lyd_free_all(envp);
	lyd_free_all(op);
	nc_rpc_free(rpc);
	free(xml);
	nc_session_free(s, NULL);
	nc_client_destroy();
	ly_ctx_destroy(ctx);
	return out;
}

static int enrol_args(struct cli_def *cli, const char *command, char **argv, int argc,
		      uint16_t *port)
{
	*port = ENROL_PORT;
	if (argc == 4 && !strcmp(argv[2], "port")) {
		char *end;
		long p = strtol(argv[3], &end, 10);

		if (*end || p < 1 || p > 65535) {
			cli_error(cli, "%% Error: %s port: '%s' is not 1..65535", command, argv[3]);
			return -1;
		}
		*port = (uint16_t)p;
	} else if (argc != 2) {
		cli_error(cli, "%% Error: %s CONDUCTOR-ADDRESS TOKEN [port PORT]", command);
		return -1;
	}
	return 0;
}

static int cmd_enrol(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct enrol_ctx e = {.password = argc > 1 ? argv[1] : ""};
	struct json *d, *args;
	char why[128], until[64];
	uint16_t port;

	if (enrol_args(cli, command, argv, argc, &port) < 0)
		return CLI_ERROR;
	if (enrol_token_parse(argv[1], &e.t, why, sizeof(why)) < 0) {
		cli_error(cli, "%% Error: %s: %s", command, why);
		return CLI_ERROR;
	}
	args = json_new_object();
	json_set(args, "router", json_new_str(e.t.router));
	if (!(d = svrsh_call(svrsh_of(cli), "certificate-request", args)))
		return CLI_ERROR;
	args = ask_conductor(cli, &e, argv[0], port, json_get_str(d, "certificate-request", ""));
	json_free(d);
	if (!args)
		return CLI_ERROR;
	if (!(d = svrsh_call(svrsh_of(cli), "certificate-install", args)))
		return CLI_ERROR;
	when(json_get_int(d, "not-after", 0), until, sizeof(until));
	cli_print(cli,
		  "Enrolled with the conductor at %s: this node's certificate is the "
		  "authority's (serial %lld, valid until %s)",
		  argv[0], (long long)json_get_int(d, "serial", 0), until);
	json_free(d);
	return CLI_OK;
}

/* ---- show assets (on the conductor) ---------------------------------------- */

/* The conductor's commit a router runs: "3", or "2 (3 due)" behind. */
static void config_of(const struct json *a, int64_t current, char *out, size_t len)
{
	const struct json *c = json_get(a, "connection");
	int64_t v = c ? json_get_int(c, "version", 0) : -1;

	if (v < 0)
		snprintf(out, len, "-");
	else if (json_get_bool(c, "local-override", false))
		snprintf(out, len, "%lld override", (long long)v);
	else if (v == current)
		snprintf(out, len, "%lld", (long long)v);
	else
		snprintf(out, len, "%lld (%lld due)", (long long)v, (long long)current);
}

static struct json *assets(struct cli_def *cli, const char *command, int argc)
{
	if (argc) {
		cli_error(cli, "%% Error: %s takes no argument", command);
		return NULL;
	}
	render_begin(cli);
	return svrsh_call(svrsh_of(cli), "get-assets", json_new_object());
}

static int cmd_assets(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct svrsh *sh = svrsh_of(cli);
	struct json *d = assets(cli, command, argc);
	const struct json *list = json_get(d, "assets");
	int64_t current = json_get_int(d, "current-version", 0);

	(void)argv;
	if (!d)
		return CLI_ERROR;
	if (sh->display_json) {
		print_json(cli, d);
		json_free(d);
		return CLI_OK;
	}
	render_header(cli, "assets");
	cli_print(cli, " %-16s %-16s %-13s %-12s %-10s %-24s %-19s %s", "Router", "Node", "State",
		  "Config", "Software", "Address", "Since", "Last Contact");
	for (size_t i = 0; i < json_len(list); i++) {
		const struct json *a = json_at(list, i), *c = json_get(a, "connection");
		const struct json *nodes = json_get(a, "nodes");
		char since[32] = "", last[32] = "", cfg[40];

		if (c) {
			when_fmt(json_get_int(c, "since", 0), "%Y-%m-%d %H:%M:%S", since,
				 sizeof(since));
			when_fmt(json_get_int(c, "last-contact", 0), "%Y-%m-%d %H:%M:%S", last,
				 sizeof(last));
		}
		config_of(a, current, cfg, sizeof(cfg));
		cli_print(cli, " %-16s %-16s %-13s %-12s %-10s %-24s %-19s %s",
			  json_get_str(a, "router", "?"),
			  json_len(nodes) ? json_str(json_at(nodes, 0)) : "",
			  json_get_str(a, "state", "?"), cfg,
			  c ? json_get_str(c, "software-version", "") : "",
			  c ? json_get_str(c, "address", "") : "", since, last);
	}
	if (!json_len(list))
		cli_print(cli, " No router in the authority but the conductor.");
	render_footer(cli);
	json_free(d);
	return CLI_OK;
}

/* show config out-of-sync: the routers not running the conductor's
 * newest commit, and why. */
static int cmd_out_of_sync(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct json *d = assets(cli, command, argc);
	const struct json *list = json_get(d, "assets");
	int64_t current = json_get_int(d, "current-version", 0);
	int n = 0;

	(void)argv;
	if (!d)
		return CLI_ERROR;
	render_header(cli, "out-of-sync routers");
	for (size_t i = 0; i < json_len(list); i++) {
		const struct json *a = json_at(list, i), *c = json_get(a, "connection");
		const char *r = json_get_str(a, "router", "?");

		if (!c) {
			cli_print(cli, " %-16s disconnected: gets commit %lld when it calls home",
				  r, (long long)current);
			n++;
		} else if (json_get_bool(c, "local-override", false)) {
			cli_print(cli,
				  " %-16s local override: runs its own changes, holds the "
				  "conductor's commit %lld aside",
				  r, (long long)current);
			n++;
		} else if (json_get_int(c, "version", 0) != current) {
			const char *why = json_get_str(c, "refused", NULL);

			cli_print(cli, " %-16s runs commit %lld of the conductor's %lld%s%s", r,
				  (long long)json_get_int(c, "version", 0), (long long)current,
				  why ? ": refused: " : "", why ? why : "");
			n++;
		}
	}
	if (!n)
		cli_print(cli, " Every router runs commit %lld.", (long long)current);
	render_footer(cli);
	json_free(d);
	return CLI_OK;
}

void enrol_commands_register(struct svrsh *sh, struct cli_command *show,
			     struct cli_command *show_config)
{
	static const struct arg_slot token_args[] = {
		{NULL, "router", "A router of the authority", 0, NULL},
		{0},
	};
	static const struct arg_slot enrol_args_slots[] = {
		{NULL, "conductor-address", "The conductor's address", 0, NULL},
		{NULL, "token", "The line request enrolment-token printed on the conductor", 0,
		 NULL},
		{"port", "port", "The conductor's NETCONF SSH port (830 by default)", ARG_OPTIONAL,
		 NULL},
		{0},
	};
	struct cli_command *req =
		cli_register_command(sh->cli, NULL, "request", NULL, PRIVILEGE_UNPRIVILEGED,
				     MODE_EXEC, "Ask this node for something");

	svrsh_args(cli_register_command(sh->cli, req, "enrolment-token", cmd_token,
					PRIVILEGE_UNPRIVILEGED, MODE_EXEC,
					"On the conductor: a one-time token for a router to enrol"),
		   token_args);
	svrsh_args(cli_register_command(sh->cli, req, "certificate-renewal", cmd_renew,
					PRIVILEGE_UNPRIVILEGED, MODE_EXEC,
					"On the conductor: a new certificate for a router now"),
		   token_args);
	cli_register_command(sh->cli, show, "assets", cmd_assets, PRIVILEGE_UNPRIVILEGED, MODE_ANY,
			     "On the conductor: every router, called home or not");
	cli_register_command(sh->cli, show_config, "out-of-sync", cmd_out_of_sync,
			     PRIVILEGE_UNPRIVILEGED, MODE_ANY,
			     "On the conductor: routers not running its newest commit");
	svrsh_args(cli_register_command(sh->cli, NULL, "enrol", cmd_enrol, PRIVILEGE_UNPRIVILEGED,
					MODE_EXEC,
					"Enrol this router with its conductor, with the token the "
					"conductor printed"),
		   enrol_args_slots);
}
