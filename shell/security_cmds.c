/* DOC: security commands
 *
 * show peers security (the seed's layout: one block per peer path) and
 * security metadata-key regenerate.  svrd returns the data; the text is
 * made here only.  No key material ever reaches the shell: svrd sends
 * salts (their first four bytes, as the seed shows), indexes and flags.
 */
#include "config.h"

#include <libcli.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "svrsh.h"

static int cmd_show_peers_security(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct json *data, *paths;
	int rc;
	static const struct {
		const char *label, *key;
	} fields[] = {
		{"Peer", "peer"},
		{"Node", "node"},
		{"Network Interface", "network-interface"},
		{"Destination", "destination"},
		{"Status", "status"},
		{"Hostname", NULL},
		{"Path Mtu", "path-mtu"},
		{"Security Status", "security-status"},
		{"Salt", "salt"},
		{"Peer Salt", "peer-salt"},
		{"Key Index", "key-index"},
		{"Peer Ki", "peer-key-index"},
		{"Cert Rec", "cert-rec"},
		{"Cert Ack", "cert-ack"},
		{"Salt Rec", "salt-rec"},
		{"Salt Ack", "salt-ack"},
		{"Key Rec", "key-rec"},
		{"Key Ack", "key-ack"},
	};

	(void)command;
	(void)argv;
	if (argc) {
		cli_error(cli, "%% Error: show peers security takes no argument");
		return CLI_ERROR;
	}
	rc = render_fetch(cli, "get-peers", &data);
	if (!data)
		return rc;
	paths = json_get(data, "peer-paths");
	render_header(cli, "peer paths");
	cli_print(cli, "%s", "");
	for (size_t i = 0; i < json_len(paths); i++) {
		const struct json *p = json_at(paths, i);
		char title[128];

		snprintf(title, sizeof(title), "Peer: %s", json_get_str(p, "peer", "?"));
		render_banner(cli, title);
		for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
			const struct json *v = fields[f].key ? json_get(p, fields[f].key) : NULL;

			if (json_is_int(v))
				render_field(cli, fields[f].label, "%lld", (long long)json_int(v));
			else
				render_field(cli, fields[f].label, "%s",
					     json_str(v) ? json_str(v) : "unavailable");
		}
		cli_print(cli, "%s", "");
		cli_print(cli, "%s", "");
	}
	render_footer(cli);
	json_free(data);
	return CLI_OK;
}

/* "0 hrs 20 min 24 sec", or "never" for a negative count */
static void seconds_field(struct cli_def *cli, const char *label, int64_t s)
{
	char buf[64], key[64];

	if (s < 0)
		snprintf(buf, sizeof(buf), "never");
	else
		render_duration(buf, sizeof(buf), s);
	snprintf(key, sizeof(key), "%s:", label);
	cli_print(cli, "                  %-26s%s", key, buf);
}

static void count_field(struct cli_def *cli, const char *label, const struct json *v)
{
	char key[64];

	snprintf(key, sizeof(key), "%s:", label);
	if (json_is_int(v))
		cli_print(cli, "                  %-26s%lld", key, (long long)json_int(v));
	else
		cli_print(cli, "                  %-26s%s", key,
			  json_str(v) ? json_str(v) : "none");
}

static int cmd_show_key_status(struct cli_def *cli, const char *command, char **argv, int argc)
{
	int rc;
	struct svrsh *sh = svrsh_of(cli);
	struct json *d;
	char rule[49];

	(void)command;
	(void)argv;
	if (argc) {
		cli_error(cli, "%% Error: show security key-status takes no argument");
		return CLI_ERROR;
	}
	rc = render_fetch(cli, "get-key-status", &d);
	if (!d)
		return rc;
	render_header(cli, "key status");
	cli_print(cli, "%s", "");
	memset(rule, '=', 48);
	rule[48] = '\0';
	cli_print(cli, "                %s", rule);
	cli_print(cli, "                 %s", json_get_str(d, "node", sh->node));
	cli_print(cli, "                %s", rule);
	count_field(cli, "Key Manager State", json_get(d, "key-manager-state"));
	if (json_get(d, "metadata-rekey-index")) {
		count_field(cli, "Rekey Index", json_get(d, "rekey-index"));
		seconds_field(cli, "Last Rekey", json_get_int(d, "last-rekey", -1));
		seconds_field(cli, "Next Rekey", json_get_int(d, "next-rekey", -1));
		count_field(cli, "Key Change Count", json_get(d, "key-change-count"));
		count_field(cli, "Config Key Change Count", json_get(d, "config-key-change-count"));
		count_field(cli, "Key Change Error", json_get(d, "key-change-error"));
		count_field(cli, "Config Key Change Error", json_get(d, "config-key-change-error"));
		count_field(cli, "Metadata Rekey Index", json_get(d, "metadata-rekey-index"));
		seconds_field(cli, "Metadata Last Rekey",
			      json_get_int(d, "metadata-last-rekey", -1));
		seconds_field(cli, "Metadata Next Rekey",
			      json_get_int(d, "metadata-next-rekey", -1));
	}
	cli_print(cli, "%s", "");
	render_footer(cli);
	json_free(d);
	return CLI_OK;
}

/* A YANG RPC without input, as a shell command without arguments. */
static struct json *call_rpc(struct cli_def *cli, const char *rpc, const char *command, int argc)
{
	struct json *args;

	if (argc) {
		cli_error(cli, "%% Error: %s takes no argument", command);
		return NULL;
	}
	args = json_new_object();
	json_set(args, "name", json_new_str(rpc));
	return svrsh_call(svrsh_of(cli), "rpc", args);
}

static int cmd_regenerate(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct json *data = call_rpc(cli, "security-metadata-key-regenerate", command, argc);

	(void)argv;
	if (!data)
		return CLI_ERROR;
	cli_print(cli, "Metadata key regenerated: rekey index %lld",
		  (long long)json_get_int(data, "metadata-rekey-index", 0));
	json_free(data);
	return CLI_OK;
}

static int cmd_peer_rekey(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct json *data = call_rpc(cli, "security-peer-key-rekey", command, argc);

	(void)argv;
	if (!data)
		return CLI_ERROR;
	cli_print(cli, "Peer keys renewed with every peer; metadata key rekey index %lld",
		  (long long)json_get_int(data, "metadata-rekey-index", 0));
	json_free(data);
	return CLI_OK;
}

static int cmd_peer_accept(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct json *args, *input, *data;

	if (argc != 1) {
		cli_error(cli, "%% Error: %s takes one argument: the peer router", command);
		return CLI_ERROR;
	}
	args = json_new_object();
	input = json_new_object();
	json_set(input, "peer", json_new_str(argv[0]));
	json_set(args, "name", json_new_str("security-peer-key-accept"));
	json_set(args, "input", input);
	data = svrsh_call(svrsh_of(cli), "rpc", args);
	if (!data)
		return CLI_ERROR;
	cli_print(cli, "Key %s pinned for peer %s; the key exchange starts over with it",
		  json_get_str(data, "fingerprint", "?"), argv[0]);
	json_free(data);
	return CLI_OK;
}

static void header_sa(struct cli_def *cli)
{
	char date[64];

	/* this view's header is one line in the seed's layout */
	render_date(date, sizeof(date));
	cli_print(cli, "%s Retrieving security associations...", date);
}

static int cmd_show_sa(struct cli_def *cli, const char *command, char **argv, int argc)
{
	int rc;
	struct svrsh *sh = svrsh_of(cli);
	const char *only = argc > 0 ? argv[0] : NULL;
	bool detail = argc == 2 && strcmp(argv[1], "detail") == 0;
	struct json *data, *paths;
	bool found = false;
	int w[6] = {14, 11, 7, 19, 16, 8};

	(void)command;
	if (argc > 2 || (argc == 2 && !detail)) {
		cli_error(cli, "%% Error: show security security-associations [PEER [detail]]");
		return CLI_ERROR;
	}
	rc = render_fetch(cli, "get-peers", &data);
	if (!data)
		return rc;
	paths = json_get(data, "peer-paths");
	header_sa(cli);
	/* the seed's column widths, wider where a value needs it */
	{
		static const char *const col[] = {"peering-common-name", "peer",	"node",
						  "network-interface",	 "destination", "status"};
		char rule[256];
		size_t o = 0;

		for (size_t i = 0; i < json_len(paths); i++)
			for (int c = 0; c < 6; c++) {
				int l = (int)strlen(json_get_str(json_at(paths, i), col[c], "")) +
					2;

				if (l > w[c])
					w[c] = l;
			}
		for (int c = 0; c < 6; c++) {
			memset(rule + o, '=', (size_t)w[c]);
			o += (size_t)w[c];
			rule[o++] = ' ';
		}
		rule[o - 1] = '\0';
		if (!detail) {
			cli_print(cli, "%s", rule);
			cli_print(cli, " %-*s %-*s %-*s %-*s %-*s %s", w[0] - 1, "Peer", w[1],
				  "Peer Name", w[2], "Node", w[3], "Network Interface", w[4],
				  "Destination", "Status");
			cli_print(cli, "%s", rule);
		}
	}
	for (size_t i = 0; i < json_len(paths); i++) {
		const struct json *p = json_at(paths, i);
		const char *name = json_get_str(p, "peer", "?");
		char in[64];

		if (only && strcmp(only, name) != 0)
			continue;
		if (!detail) {
			cli_print(cli, " %-*s %-*s %-*s %-*s %-*s %s", w[0] - 1,
				  json_get_str(p, "peering-common-name", "?"), w[1], name, w[2],
				  json_get_str(p, "node", "?"), w[3],
				  json_get_str(p, "network-interface", "?"), w[4],
				  json_get_str(p, "destination", "?"),
				  json_get_str(p, "status", "?"));
			found = true;
			continue;
		}
		if (found)
			continue; /* one detail block per peer, not per path */
		found = true;
		cli_print(cli, "Peer Name: %s", name);
		cli_print(cli, "State: %s",
			  strcmp(json_get_str(p, "security-status", ""), "MKEY_EXCH_COMP") == 0
				  ? "UP"
				  : "DOWN");
		cli_print(cli, "Peer Certificate: %s",
			  strcmp(json_get_str(p, "peer-certificate", ""), "valid") == 0
				  ? "Valid"
				  : json_get_str(p, "peer-certificate", "unknown"));
		cli_print(cli, "Public Key: %s",
			  strcmp(json_get_str(p, "cert-rec", ""), "True") == 0 ? "Valid" : "None");
		if (*json_get_str(p, "peer-key-fingerprint", ""))
			cli_print(cli, "Peer Key Fingerprint: %s (%s)",
				  json_get_str(p, "peer-key-fingerprint", ""),
				  strcmp(json_get_str(p, "peer-certificate-authority", ""),
					 "trusted-ca") == 0
					  ? "a trusted CA vouches for it"
					  : "pinned");
		if (*json_get_str(p, "refused-key-fingerprint", ""))
			cli_print(cli, "Refused Key Fingerprint: %s (security peer-key accept %s)",
				  json_get_str(p, "refused-key-fingerprint", ""),
				  json_get_str(p, "peer", "PEER"));
		cli_print(cli, "Local salt: %s, Remote salt: %s", json_get_str(p, "salt-hex", "?"),
			  json_get_str(p, "peer-salt-hex", "?"));
		if (json_get_int(p, "rekey-in", -1) < 0)
			snprintf(in, sizeof(in), "never");
		else
			render_duration(in, sizeof(in), json_get_int(p, "rekey-in", 0));
		cli_print(cli, "Peer Key Rekey In: %s", in);
		cli_print(cli, "Peer Rekey Count: %lld",
			  (long long)json_get_int(p, "peer-rekey-count", 0));
		cli_print(cli, "Metadata Key Rekey In: %s", in);
		cli_print(cli, "Local Metadata Key Index: %lld, Remote Metadata Key Index: %lld",
			  (long long)json_get_int(p, "key-index", 0),
			  (long long)json_get_int(p, "peer-key-index", 0));
	}
	json_free(data);
	pager_end(sh);
	if (only && !found) {
		cli_error(cli, "%% Error: no peer %s", only);
		return CLI_ERROR;
	}
	return CLI_OK;
}

static int cmd_reload_certs(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct json *data = call_rpc(cli, "reload-local-certificates", command, argc);

	(void)argv;
	if (!data)
		return CLI_ERROR;
	cli_print(cli,
		  "Local certificates reloaded; the key exchange starts again with every peer");
	json_free(data);
	return CLI_OK;
}

void security_commands_register(struct svrsh *sh, struct cli_command *show)
{
	struct cli_command *peers, *sec, *mk;

	peers = cli_register_command(sh->cli, show, "peers", NULL, PRIVILEGE_UNPRIVILEGED, MODE_ANY,
				     "Peers of this router");
	cli_register_command(sh->cli, peers, "security", cmd_show_peers_security,
			     PRIVILEGE_UNPRIVILEGED, MODE_ANY,
			     "Key exchange state of every peer path");
	{
		struct cli_command *ss = cli_register_command(sh->cli, show, "security", NULL,
							      PRIVILEGE_UNPRIVILEGED, MODE_ANY,
							      "Security state of this node");

		cli_register_command(sh->cli, ss, "key-status", cmd_show_key_status,
				     PRIVILEGE_UNPRIVILEGED, MODE_ANY,
				     "Key manager state, rekey indexes and schedules");
		cli_register_command(sh->cli, ss, "security-associations", cmd_show_sa,
				     PRIVILEGE_UNPRIVILEGED, MODE_ANY,
				     "Security associations: [PEER [detail]]");
	}
	{
		struct cli_command *rl =
			cli_register_command(sh->cli, NULL, "reload", NULL, PRIVILEGE_UNPRIVILEGED,
					     MODE_EXEC, "Read something again");
		struct cli_command *lo =
			cli_register_command(sh->cli, rl, "local", NULL, PRIVILEGE_UNPRIVILEGED,
					     MODE_EXEC, "This node's own");

		cli_register_command(
			sh->cli, lo, "certificates", cmd_reload_certs, PRIVILEGE_UNPRIVILEGED,
			MODE_EXEC,
			"Read this node's certificate again and redo every key exchange");
	}
	sec = cli_register_command(sh->cli, NULL, "security", NULL, PRIVILEGE_UNPRIVILEGED,
				   MODE_ANY, "Security operations");
	mk = cli_register_command(sh->cli, sec, "metadata-key", NULL, PRIVILEGE_UNPRIVILEGED,
				  MODE_ANY, "The metadata key of this router");
	cli_register_command(sh->cli, mk, "regenerate", cmd_regenerate, PRIVILEGE_UNPRIVILEGED,
			     MODE_ANY,
			     "Make a new metadata key (index + 1) and send it to every peer");
	mk = cli_register_command(sh->cli, sec, "peer-key", NULL, PRIVILEGE_UNPRIVILEGED, MODE_ANY,
				  "The peer keys of this router");
	cli_register_command(sh->cli, mk, "rekey", cmd_peer_rekey, PRIVILEGE_UNPRIVILEGED, MODE_ANY,
			     "Renew the peer key with every peer now, then the metadata key");
	cli_register_command(sh->cli, mk, "accept", cmd_peer_accept, PRIVILEGE_UNPRIVILEGED,
			     MODE_ANY,
			     "Accept the new key a peer was refused for (PEER): pin it and peer");
}
