/* DOC: show sessions, show stats
 *
 * What the data plane carries: one line per SVR session (its original
 * 5-tuple, the peer and service, which end made it, the waypoint port,
 * whether the metadata handshake is done, packets each way; never a key),
 * and the datapath's counters, drops by reason.  A session this router
 * relays as a hub shows once per leg, as "transit".  Both take
 * "| display json".
 */
#include "config.h"

#include <libcli.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "svrsh.h"

static const char *proto_name(int64_t p)
{
	return p == 6 ? "tcp" : p == 17 ? "udp" : p == 1 ? "icmp" : p == 58 ? "icmpv6" : "?";
}

/* show sessions' filters: every one given must match. */
struct sess_filter {
	const char *peer, *service, *address, *id;
	long port; /* 0: any */
	bool detail;
};

static int sess_args(struct cli_def *cli, int argc, char **argv, struct sess_filter *f)
{
	static const char *const words[] = {"peer", "service", "address", "port",
					    "id",   "detail",  NULL};

	memset(f, 0, sizeof(*f));
	for (int i = 0; i < argc; i++) {
		bool amb;
		const char *w = svrsh_keyword(argv[i], words, &amb);
		char *end;

		if (w && strcmp(w, "detail") == 0) {
			f->detail = true;
			continue;
		}
		if (!w || i + 1 == argc) {
			cli_error(cli,
				  "%% Error: show sessions [peer PEER] [service SERVICE] [address "
				  "ADDRESS] [port PORT] [id ID] [detail], not '%s'%s",
				  argv[i], w ? " without its value" : "");
			return -1;
		}
		if (strcmp(w, "port") == 0) {
			f->port = strtol(argv[++i], &end, 10);
			if (*end || f->port < 1 || f->port > 65535) {
				cli_error(cli, "%% Error: show sessions port: '%s' is not 1..65535",
					  argv[i]);
				return -1;
			}
			continue;
		}
		*(strcmp(w, "peer") == 0      ? &f->peer
		  : strcmp(w, "service") == 0 ? &f->service
		  : strcmp(w, "address") == 0 ? &f->address
					      : &f->id) = argv[++i];
	}
	return 0;
}

static bool sess_match(const struct json *s, const struct sess_filter *f)
{
	const char *uuid = json_get_str(s, "uuid", "");

	if (f->peer && strcmp(json_get_str(s, "peer", ""), f->peer) != 0)
		return false;
	if (f->service && strcmp(json_get_str(s, "service", ""), f->service) != 0)
		return false;
	if (f->address && strcmp(json_get_str(s, "source", ""), f->address) != 0 &&
	    strcmp(json_get_str(s, "destination", ""), f->address) != 0)
		return false;
	if (f->port && json_get_int(s, "source-port", 0) != f->port &&
	    json_get_int(s, "destination-port", 0) != f->port &&
	    json_get_int(s, "waypoint-port", 0) != f->port)
		return false;
	return !f->id || strncmp(uuid, f->id, strlen(f->id)) == 0;
}

#define SESS_SHOWN_MAX 100000

/* A copy of a session to keep past its page. */
static struct json *copy(const struct json *j)
{
	char *t = json_print(j), err[64];
	struct json *c = t ? json_parse(t, strlen(t), err, sizeof(err)) : NULL;

	free(t);
	return c;
}

/* Every session that matches, page after page: {"sessions": [...],
 * "total": all of them}.  NULL when svrd failed (said). */
static struct json *sess_fetch(struct svrsh *sh, const struct sess_filter *f)
{
	struct json *out = json_new_object(), *list = json_new_array();
	int64_t cursor = 0, total = 0;

	for (;;) {
		struct json *args = json_new_object(), *page;
		const struct json *ss;

		json_set(args, "cursor", json_new_int(cursor));
		if (!(page = svrsh_call(sh, "get-sessions", args))) {
			json_free(list);
			json_free(out);
			return NULL;
		}
		ss = json_get(page, "sessions");
		total = json_get_int(page, "total", total);
		for (size_t i = 0; i < json_len(ss) && json_len(list) < SESS_SHOWN_MAX; i++)
			if (sess_match(json_at(ss, i), f))
				json_append(list, copy(json_at(ss, i)));
		cursor = json_get_int(page, "next", 0);
		if (json_get_int(page, "more", 0) <= 0 || !json_len(ss) ||
		    json_len(list) >= SESS_SHOWN_MAX) {
			json_free(page);
			break;
		}
		json_free(page);
	}
	json_set(out, "sessions", list);
	json_set(out, "total", json_new_int(total));
	return out;
}

static const char *dir_name(const struct json *s)
{
	const char *dir = json_get_str(s, "direction", "");

	return strcmp(dir, "ingress") == 0   ? "fwd"
	       : strcmp(dir, "transit") == 0 ? "transit"
					     : "rev";
}

enum { C_ID, C_DIR, C_PROTO, C_SRC, C_DST, C_PEER, C_SVC, C_PORT, C_IDLE, C_HS, C_OUT, C_IN, NC };

static const char *const heads[NC] = {"ID",	     "Dir",	  "Proto",    "Source",
				      "Destination", "Peer",	  "Service",  "Port",
				      "Idle",	     "Handshake", "Pkts Out", "Pkts In"};

static void sess_cells(const struct json *s, char c[NC][80])
{
	snprintf(c[C_ID], 80, "%.8s", json_get_str(s, "uuid", ""));
	snprintf(c[C_DIR], 80, "%s", dir_name(s));
	snprintf(c[C_PROTO], 80, "%s", proto_name(json_get_int(s, "protocol", 0)));
	snprintf(c[C_SRC], 80, "%.60s:%lld", json_get_str(s, "source", "?"),
		 (long long)json_get_int(s, "source-port", 0));
	snprintf(c[C_DST], 80, "%.60s:%lld", json_get_str(s, "destination", "?"),
		 (long long)json_get_int(s, "destination-port", 0));
	snprintf(c[C_PEER], 80, "%.63s", json_get_str(s, "peer", "?"));
	snprintf(c[C_SVC], 80, "%.63s", json_get_str(s, "service", "?"));
	snprintf(c[C_PORT], 80, "%lld", (long long)json_get_int(s, "waypoint-port", 0));
	snprintf(c[C_IDLE], 80, "%llds", (long long)json_get_int(s, "idle-seconds", 0));
	snprintf(c[C_HS], 80, "%s", json_get_str(s, "handshake", "?"));
	snprintf(c[C_OUT], 80, "%lld", (long long)json_get_int(s, "packets-out", 0));
	snprintf(c[C_IN], 80, "%lld", (long long)json_get_int(s, "packets-in", 0));
}

/* One row: the columns in cols (-1 ends), each w[] wide, numbers to the
 * right. */
static void sess_row(struct cli_def *cli, char c[NC][80], const int *cols, const int *w)
{
	char line[1024];
	size_t n = 0;

	for (int k = 0; cols[k] >= 0 && n < sizeof(line) - 100; k++) {
		int col = cols[k];
		bool right = col == C_PORT || col == C_IDLE || col == C_OUT || col == C_IN;

		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%*s", k ? "  " : "",
				      right ? w[col] : -w[col], c[col]);
	}
	while (n && line[n - 1] == ' ')
		line[--n] = '\0';
	cli_print(cli, "%s", line);
}

/* The table, its columns as wide as their widest cell.  When that is
 * wider than the terminal, each session takes two lines: the addresses
 * under the rest. */
static void sess_table(struct cli_def *cli, const struct json *list)
{
	static const int wide[] = {C_ID,   C_DIR,  C_PROTO, C_SRC, C_DST, C_PEER, C_SVC,
				   C_PORT, C_IDLE, C_HS,    C_OUT, C_IN,  -1};
	static const int narrow[] = {C_ID,   C_DIR,  C_PROTO, C_PEER, C_SVC,
				     C_PORT, C_IDLE, C_OUT,   C_IN,   -1};
	struct svrsh *sh = svrsh_of(cli);
	int w[NC], total = 0, limit = sh->batch ? 0 : term_cols();
	char c[NC][80];
	bool two;

	for (int k = 0; k < NC; k++)
		w[k] = (int)strlen(heads[k]);
	for (size_t i = 0; i < json_len(list); i++) {
		sess_cells(json_at(list, i), c);
		for (int k = 0; k < NC; k++)
			if ((int)strlen(c[k]) > w[k])
				w[k] = (int)strlen(c[k]);
	}
	for (int k = 0; k < NC; k++)
		total += w[k] + (k ? 2 : 0);
	two = limit && total > limit;
	for (int k = 0; k < NC; k++)
		c[k][0] = '\0';
	for (int k = 0; k < NC; k++)
		snprintf(c[k], 80, "%s", heads[k]);
	sess_row(cli, c, two ? narrow : wide, w);
	for (size_t i = 0; i < json_len(list); i++) {
		const struct json *s = json_at(list, i);

		sess_cells(s, c);
		sess_row(cli, c, two ? narrow : wide, w);
		if (two)
			cli_print(cli, "%*s%s -> %s, handshake %s", w[C_ID] + 2, "", c[C_SRC],
				  c[C_DST], c[C_HS]);
	}
}

static void sess_detail(struct cli_def *cli, const struct json *s)
{
	char c[NC][80];

	sess_cells(s, c);
	cli_print(cli, "%s", "");
	cli_print(cli, "Session %s", json_get_str(s, "uuid", ""));
	render_field(cli, "Direction", "%s (%s)", c[C_DIR],
		     strcmp(c[C_DIR], "fwd") == 0   ? "made here, from the LAN"
		     : strcmp(c[C_DIR], "rev") == 0 ? "made by the peer"
						    : "relayed here");
	render_field(cli, "Protocol", "%s", c[C_PROTO]);
	render_field(cli, "Source", "%s", c[C_SRC]);
	render_field(cli, "Destination", "%s", c[C_DST]);
	render_field(cli, "Peer", "%s", c[C_PEER]);
	render_field(cli, "Service", "%s", c[C_SVC]);
	render_field(cli, "Waypoint Port", "%s", c[C_PORT]);
	render_field(cli, "Handshake", "%s", c[C_HS]);
	render_field(cli, "Idle", "%s", c[C_IDLE]);
	render_field(cli, "Packets Out", "%s", c[C_OUT]);
	render_field(cli, "Packets In", "%s", c[C_IN]);
	render_field(cli, "Key Rotations", "%lld",
		     (long long)json_get_int(s, "payload-key-rotations", 0));
}

static int cmd_show_sessions(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct svrsh *sh = svrsh_of(cli);
	struct sess_filter f;
	struct json *d;
	const struct json *list;
	size_t n;

	(void)command;
	render_begin(cli);
	if (sess_args(cli, argc, argv, &f) < 0 || !(d = sess_fetch(sh, &f)))
		return CLI_ERROR;
	if (sh->display_json) {
		print_json(cli, d);
		json_free(d);
		return CLI_OK;
	}
	list = json_get(d, "sessions");
	n = json_len(list);
	render_header(cli, "sessions");
	if (f.detail || f.id)
		for (size_t i = 0; i < n; i++)
			sess_detail(cli, json_at(list, i));
	else if (n)
		sess_table(cli, list);
	cli_print(cli, "%s", "");
	if (argc)
		cli_print(cli, "%zu session%s of %lld", n, n == 1 ? "" : "s",
			  (long long)json_get_int(d, "total", 0));
	else
		cli_print(cli, "%zu session%s", n, n == 1 ? "" : "s");
	render_footer(cli);
	json_free(d);
	return CLI_OK;
}

/* clear session ID: the session ends; its flow's next packet makes a
 * new one with a new key. */
static int cmd_clear_session(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct json *args, *d;

	if (argc != 1) {
		cli_error(cli, "%% Error: %s ID: which session (its id from show sessions)?",
			  command);
		return CLI_ERROR;
	}
	args = json_new_object();
	json_set(args, "what", json_new_str("session"));
	json_set(args, "id", json_new_str(argv[0]));
	if (!(d = svrsh_call(svrsh_of(cli), "clear", args)))
		return CLI_ERROR;
	cli_print(cli, "Session %s ended; its next packet starts a new one", argv[0]);
	json_free(d);
	return CLI_OK;
}

/* TAB: the ids of the sessions (the first page), as show sessions
 * prints them. */
static int complete_session(struct cli_def *cli, const char *name, const char *word,
			    struct cli_comphelp *ch)
{
	struct json *page = svrsh_call_quiet(svrsh_of(cli), "get-sessions", NULL);
	const struct json *ss = json_get(page, "sessions");
	char id[16];

	(void)name;
	for (size_t i = 0; i < json_len(ss); i++) {
		snprintf(id, sizeof(id), "%.8s", json_get_str(json_at(ss, i), "uuid", ""));
		if (strncmp(id, word ? word : "", strlen(word ? word : "")) == 0)
			cli_add_comphelp_entry(ch, id);
	}
	json_free(page);
	return CLI_OK;
}

static int cmd_show_stats(struct cli_def *cli, const char *command, char **argv, int argc)
{
	static const char *const rows[][2] = {
		{"sessions", "Sessions"},
		{"sessions-created", "Sessions Created"},
		{"sessions-expired", "Sessions Expired"},
		{"lan-in-packets", "LAN In Packets"},
		{"lan-in-bytes", "LAN In Bytes"},
		{"wan-out-packets", "WAN Out Packets"},
		{"wan-out-bytes", "WAN Out Bytes"},
		{"wan-in-packets", "WAN In Packets"},
		{"wan-in-bytes", "WAN In Bytes"},
		{"lan-out-packets", "LAN Out Packets"},
		{"lan-out-bytes", "LAN Out Bytes"},
		{"relayed-packets", "Relayed Packets"},
		{"payload-key-rotations", "Payload Key Rotations"},
		{"metadata-requested", "Metadata Asked Again"},
		{"passed", "Passed To The Kernel"},
		{"received-packets", "Forwarder Received"},
		{"unusable-packets", "Forwarder Unusable"},
		{"kernel-drops", "Lost By The Kernel"},
		{"sent-packets", "Forwarder Sent"},
		{"send-errors", "Send Errors"},
	};
	const struct json *router, *node, *st, *drops;
	struct json *d;
	int rc;

	(void)command;
	(void)argv;
	if (argc) {
		cli_error(cli, "%% Error: show stats takes no argument");
		return CLI_ERROR;
	}
	rc = render_state(cli, "forwarding", true, false, &d, &router, &node);
	if (!d)
		return rc;
	st = json_get(node, "forwarding");
	render_header(cli, "data plane statistics");
	cli_print(cli, "  %-28s %s", "Forwarder:", json_get_str(st, "forwarder", "none"));
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char label[64];

		snprintf(label, sizeof(label), "%s:", rows[i][1]);
		cli_print(cli, "  %-28s %llu", label,
			  (unsigned long long)state_u64(st, rows[i][0], 0));
	}
	drops = json_get(st, "drop");
	for (size_t i = 0; i < json_len(drops); i++) {
		char label[64];

		snprintf(label, sizeof(label),
			 "Dropped, %s:", json_get_str(json_at(drops, i), "reason", "?"));
		cli_print(cli, "  %-28s %llu", label,
			  (unsigned long long)state_u64(json_at(drops, i), "packets", 0));
	}
	render_footer(cli);
	json_free(d);
	return CLI_OK;
}

/* show network-interface: the kernel interfaces the data plane uses, from
 * the operational state. */
static int cmd_show_interfaces(struct cli_def *cli, const char *command, char **argv, int argc)
{
	const struct json *router, *node, *ifs;
	struct json *d;
	int rc;

	if (argc) {
		cli_error(cli, "%% Error: unknown command \"%s %s\"", command, argv[0]);
		return CLI_ERROR;
	}
	rc = render_state(cli, "interface", true, true, &d, &router, &node);
	if (!d)
		return rc;
	ifs = json_get(node, "interface");
	render_header(cli, "network interfaces");
	cli_print(cli, " %-16s %-5s %-8s %-6s %s", "Interface", "Role", "Status", "MTU",
		  "Addresses");
	for (size_t i = 0; i < json_len(ifs); i++) {
		const struct json *f = json_at(ifs, i), *addrs = json_get(f, "address");
		char mtu[16] = "-";

		if (json_get(f, "mtu"))
			snprintf(mtu, sizeof(mtu), "%llu",
				 (unsigned long long)state_u64(f, "mtu", 0));
		cli_print(cli, " %-16s %-5s %-8s %-6s %s", json_get_str(f, "name", "?"),
			  json_get_str(f, "role", "?"), json_get_str(f, "oper-status", "?"), mtu,
			  json_len(addrs) ? json_str(json_at(addrs, 0)) : "-");
		for (size_t k = 1; k < json_len(addrs); k++)
			cli_print(cli, " %-16s %-5s %-8s %-6s %s", "", "", "", "",
				  json_str(json_at(addrs, k)));
	}
	if (!json_len(ifs))
		cli_print(cli, "No interfaces: the data plane uses none.");
	render_footer(cli);
	json_free(d);
	return CLI_OK;
}

void session_commands_register(struct svrsh *sh, struct cli_command *show,
			       struct cli_command *clear)
{
	static const struct arg_slot show_args[] = {
		{"peer", "peer", "Only the sessions with this peer router", ARG_OPTIONAL,
		 state_complete_peer},
		{"service", "service", "Only the sessions of this service", ARG_OPTIONAL, NULL},
		{"address", "address", "Only the sessions from or to this address", ARG_OPTIONAL,
		 NULL},
		{"port", "port",
		 "Only the sessions from or to this port (or on this waypoint "
		 "port)",
		 ARG_OPTIONAL, NULL},
		{"id", "id", "The sessions whose id starts so, in detail", ARG_OPTIONAL,
		 complete_session},
		{"detail", NULL, "Every field of each session", ARG_OPTIONAL, NULL},
		{0},
	};
	static const struct arg_slot clear_args[] = {
		{NULL, "id", "A session's id (show sessions)", 0, complete_session},
		{0},
	};

	svrsh_args(cli_register_command(sh->cli, show, "sessions", cmd_show_sessions,
					PRIVILEGE_UNPRIVILEGED, MODE_ANY,
					"SVR sessions of this node's data plane: [peer P] [service "
					"S] [address A] [port N] [id ID] [detail]"),
		   show_args);
	svrsh_args(cli_register_command(sh->cli, clear, "session", cmd_clear_session,
					PRIVILEGE_UNPRIVILEGED, MODE_ANY,
					"End one session now (its next packet makes a new one)"),
		   clear_args);
	cli_register_command(sh->cli, show, "network-interface", cmd_show_interfaces,
			     PRIVILEGE_UNPRIVILEGED, MODE_ANY,
			     "The interfaces of the data plane: role, link, MTU, addresses");
	cli_register_command(sh->cli, show, "stats", cmd_show_stats, PRIVILEGE_UNPRIVILEGED,
			     MODE_ANY, "Data plane counters, drops by reason");
}
