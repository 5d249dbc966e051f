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
#include <string.h>

#include "json.h"
#include "svrsh.h"

static const char *proto_name(int64_t p)
{
	return p == 6 ? "tcp" : p == 17 ? "udp" : p == 1 ? "icmp" : p == 58 ? "icmpv6" : "?";
}

static int cmd_show_sessions(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct json *d, *list;
	size_t n;
	int rc;

	(void)command;
	(void)argv;
	if (argc) {
		cli_error(cli, "%% Error: show sessions takes no argument");
		return CLI_ERROR;
	}
	rc = render_fetch(cli, "get-sessions", &d);
	if (!d)
		return rc;
	list = json_get(d, "sessions");
	n = json_len(list);
	render_header(cli, "sessions");
	cli_print(cli, "%-7s %-5s %-40s %-40s %-12s %-14s %-8s %-6s %-9s %10s %10s", "Dir", "Proto",
		  "Source", "Destination", "Peer", "Service", "Port", "Idle", "Handshake",
		  "Pkts Out", "Pkts In");
	for (size_t i = 0; i < n; i++) {
		const struct json *s = json_at(list, i);
		char src[80], dst[80];

		snprintf(src, sizeof(src), "%s:%lld", json_get_str(s, "source", "?"),
			 (long long)json_get_int(s, "source-port", 0));
		snprintf(dst, sizeof(dst), "%s:%lld", json_get_str(s, "destination", "?"),
			 (long long)json_get_int(s, "destination-port", 0));
		const char *dir = json_get_str(s, "direction", "");

		cli_print(cli, "%-7s %-5s %-40s %-40s %-12s %-14s %-8lld %-6lld %-9s %10lld %10lld",
			  strcmp(dir, "ingress") == 0	? "fwd"
			  : strcmp(dir, "transit") == 0 ? "transit"
							: "rev",
			  proto_name(json_get_int(s, "protocol", 0)), src, dst,
			  json_get_str(s, "peer", "?"), json_get_str(s, "service", "?"),
			  (long long)json_get_int(s, "waypoint-port", 0),
			  (long long)json_get_int(s, "idle-seconds", 0),
			  json_get_str(s, "handshake", "?"),
			  (long long)json_get_int(s, "packets-out", 0),
			  (long long)json_get_int(s, "packets-in", 0));
	}
	cli_print(cli, "%s", "");
	cli_print(cli, "%zu session%s", n, n == 1 ? "" : "s");
	if (json_get_int(d, "more", 0) > 0) /* the daemon sends a page at most */
		cli_print(cli, "%lld more not shown (%lld in all)",
			  (long long)json_get_int(d, "more", 0),
			  (long long)json_get_int(d, "total", 0));
	render_footer(cli);
	json_free(d);
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

void session_commands_register(struct svrsh *sh, struct cli_command *show)
{
	cli_register_command(sh->cli, show, "sessions", cmd_show_sessions, PRIVILEGE_UNPRIVILEGED,
			     MODE_ANY, "SVR sessions of this node's data plane");
	cli_register_command(sh->cli, show, "network-interface", cmd_show_interfaces,
			     PRIVILEGE_UNPRIVILEGED, MODE_ANY,
			     "The interfaces of the data plane: role, link, MTU, addresses");
	cli_register_command(sh->cli, show, "stats", cmd_show_stats, PRIVILEGE_UNPRIVILEGED,
			     MODE_ANY, "Data plane counters, drops by reason");
}
