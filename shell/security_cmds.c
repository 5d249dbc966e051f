/* DOC: security commands
 *
 * show peers security (the seed's layout: one block per peer path) and
 * security metadata-key regenerate.  svrd returns the data, the YANG
 * operational state (get-state: values, booleans, enumerations); the
 * words are made here only.  No key material ever reaches the shell:
 * svrd sends salts, indexes, fingerprints and flags.
 */
#include "config.h"

#include <libcli.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "svrsh.h"

/* A path's BFD status in the seed's words. */
static const char *path_status(const struct json *p)
{
	const char *s = json_get_str(p, "status", "down");

	return strcmp(s, "admin-down") == 0 ? "out-of-service" : s;
}

/* The first four bytes of a salt, as the seed shows it. */
static long long salt_shown(const struct json *p, const char *key)
{
	return (long long)(state_u64(p, key, 0) >> 32);
}

/* The security association with peer (NULL when there is none). */
static const struct json *sa_of(const struct json *router, const char *peer)
{
	const struct json *sas = json_get(router, "security-association");

	for (size_t i = 0; i < json_len(sas); i++)
		if (strcmp(json_get_str(json_at(sas, i), "peer-name", ""), peer) == 0)
			return json_at(sas, i);
	return NULL;
}

/* A path's key exchange, and when its keys are of before (the exchange
 * completed once, but the association is down now), why: the path's
 * status agrees with the association and the alarms. */
static void security_status(struct cli_def *cli, const struct json *router, const struct json *p)
{
	const char *st = json_get_str(p, "security-status", "?");
	const struct json *sa = sa_of(router, json_get_str(p, "peer", ""));

	if (strcmp(st, "MKEY_EXCH_COMP") == 0 && sa &&
	    strcmp(json_get_str(sa, "state", "up"), "down") == 0)
		render_field(cli, "Security Status",
			     "%s (keys of before; the association is down: %s)", st,
			     json_get_str(sa, "state-reason", "see show alarms"));
	else
		render_field(cli, "Security Status", "%s", st);
}

static int cmd_show_peers_security(struct cli_def *cli, const char *command, char **argv, int argc)
{
	static const struct {
		const char *label, *key;
	} flags[] = {
		{"Cert Rec", "cert-rec"}, {"Cert Ack", "cert-ack"}, {"Salt Rec", "salt-rec"},
		{"Salt Ack", "salt-ack"}, {"Key Rec", "key-rec"},   {"Key Ack", "key-ack"},
	};
	const struct json *router, *node, *paths;
	struct json *data;
	int rc;

	(void)command;
	(void)argv;
	if (argc) {
		cli_error(cli, "%% Error: show peers security takes no argument");
		return CLI_ERROR;
	}
	rc = render_state(cli, "peer-path", false, true, &data, &router, &node);
	if (!data)
		return rc;
	paths = json_get(router, "peer-path");
	render_header(cli, "peer paths");
	cli_print(cli, "%s", "");
	for (size_t i = 0; i < json_len(paths); i++) {
		const struct json *p = json_at(paths, i);
		char title[128];

		snprintf(title, sizeof(title), "Peer: %s", json_get_str(p, "peer", "?"));
		render_banner(cli, title);
		render_field(cli, "Peer", "%s", json_get_str(p, "peer", "?"));
		render_field(cli, "Node", "%s", json_get_str(p, "node", "?"));
		render_field(cli, "Network Interface", "%s",
			     json_get_str(p, "network-interface", "?"));
		render_field(cli, "Destination", "%s", json_get_str(p, "destination", "?"));
		render_field(cli, "Status", "%s", path_status(p));
		render_field(cli, "Hostname", "%s", json_get_str(p, "hostname", "unavailable"));
		if (json_get(p, "path-mtu"))
			render_field(cli, "Path Mtu", "%llu",
				     (unsigned long long)state_u64(p, "path-mtu", 0));
		else
			render_field(cli, "Path Mtu", "%s", "unavailable");
		security_status(cli, router, p);
		render_field(cli, "Salt", "%lld", salt_shown(p, "salt"));
		render_field(cli, "Peer Salt", "%lld", salt_shown(p, "peer-salt"));
		render_field(cli, "Key Index", "%llu",
			     (unsigned long long)state_u64(p, "key-index", 0));
		render_field(cli, "Peer Ki", "%llu",
			     (unsigned long long)state_u64(p, "peer-key-index", 0));
		for (size_t f = 0; f < sizeof(flags) / sizeof(flags[0]); f++)
			render_field(cli, flags[f].label, "%s",
				     state_bool(p, flags[f].key) ? "True" : "False");
		cli_print(cli, "%s", "");
		cli_print(cli, "%s", "");
	}
	render_footer(cli);
	json_free(data);
	return CLI_OK;
}

/* show peers: one line per path, as SSR shows it; the columns as wide as
 * their values need. */
static int cmd_show_peers(struct cli_def *cli, const char *command, char **argv, int argc)
{
	static const char *const head[] = {"Peer",	  "Node",   "Network Interface",
					   "Destination", "Status", "Path MTU"};
	const struct json *router, *node, *paths;
	struct json *data;
	int w[6], rc;

	if (argc) {
		cli_error(cli, "%% Error: unknown command \"%s %s\"", command, argv[0]);
		return CLI_ERROR;
	}
	rc = render_state(cli, "peer-path", false, true, &data, &router, &node);
	if (!data)
		return rc;
	paths = json_get(router, "peer-path");
	for (int c = 0; c < 6; c++)
		w[c] = (int)strlen(head[c]);
	for (size_t i = 0; i < json_len(paths); i++) {
		const struct json *p = json_at(paths, i);
		const char *v[5] = {json_get_str(p, "peer", ""), json_get_str(p, "node", ""),
				    json_get_str(p, "network-interface", ""),
				    json_get_str(p, "destination", ""), path_status(p)};

		for (int c = 0; c < 5; c++)
			if ((int)strlen(v[c]) > w[c])
				w[c] = (int)strlen(v[c]);
	}
	render_header(cli, "peers");
	cli_print(cli, " %-*s  %-*s  %-*s  %-*s  %-*s  %s", w[0], head[0], w[1], head[1], w[2],
		  head[2], w[3], head[3], w[4], head[4], head[5]);
	for (size_t i = 0; i < json_len(paths); i++) {
		const struct json *p = json_at(paths, i);
		char mtu[16] = "unavailable";

		if (json_get(p, "path-mtu"))
			snprintf(mtu, sizeof(mtu), "%llu",
				 (unsigned long long)state_u64(p, "path-mtu", 0));
		cli_print(cli, " %-*s  %-*s  %-*s  %-*s  %-*s  %s", w[0],
			  json_get_str(p, "peer", "?"), w[1], json_get_str(p, "node", "?"), w[2],
			  json_get_str(p, "network-interface", "?"), w[3],
			  json_get_str(p, "destination", "?"), w[4], path_status(p), mtu);
	}
	if (!json_len(paths))
		cli_print(cli, "No peers.");
	render_footer(cli);
	json_free(data);
	return CLI_OK;
}

/* "0 hrs 20 min 24 sec"; "never" when the leaf is absent (no schedule) */
static void seconds_field(struct cli_def *cli, const char *label, const struct json *o,
			  const char *key)
{
	char buf[64], k[64];

	if (!json_get(o, key))
		snprintf(buf, sizeof(buf), "never");
	else
		render_duration(buf, sizeof(buf), (int64_t)state_u64(o, key, 0));
	snprintf(k, sizeof(k), "%s:", label);
	cli_print(cli, "                  %-26s%s", k, buf);
}

static void count_field(struct cli_def *cli, const char *label, const struct json *o,
			const char *key)
{
	char k[64];

	snprintf(k, sizeof(k), "%s:", label);
	if (json_get(o, key))
		cli_print(cli, "                  %-26s%llu", k,
			  (unsigned long long)state_u64(o, key, 0));
	else
		cli_print(cli, "                  %-26s%s", k, "none");
}

static void text_field(struct cli_def *cli, const char *label, const char *v)
{
	char k[64];

	snprintf(k, sizeof(k), "%s:", label);
	cli_print(cli, "                  %-26s%s", k, v);
}

static int cmd_show_key_status(struct cli_def *cli, const char *command, char **argv, int argc)
{
	const struct json *router, *node, *ks;
	struct json *data;
	const char *mgr;
	char rule[49], words[64];
	int rc;

	(void)command;
	(void)argv;
	if (argc) {
		cli_error(cli, "%% Error: show security key-status takes no argument");
		return CLI_ERROR;
	}
	rc = render_state(cli, "key-status", true, false, &data, &router, &node);
	if (!data)
		return rc;
	ks = json_get(node, "key-status");
	render_header(cli, "key status");
	cli_print(cli, "%s", "");
	memset(rule, '=', 48);
	rule[48] = '\0';
	cli_print(cli, "                %s", rule);
	cli_print(cli, "                 %s", json_get_str(node, "name", svrsh_of(cli)->node));
	cli_print(cli, "                %s", rule);
	mgr = json_get_str(ks, "key-manager-state", "inactive");
	text_field(cli, "Key Manager State",
		   strcmp(mgr, "inactive") == 0 ? mgr : state_words(mgr, words, sizeof(words)));
	if (json_get(ks, "metadata-rekey-index")) {
		count_field(cli, "Rekey Index", ks, "rekey-index");
		seconds_field(cli, "Last Rekey", ks, "last-rekey");
		seconds_field(cli, "Next Rekey", ks, "next-rekey");
		count_field(cli, "Key Change Count", ks, "key-change-count");
		count_field(cli, "Config Key Change Count", ks, "config-key-change-count");
		text_field(cli, "Key Change Error", json_get_str(ks, "key-change-error", "none"));
		text_field(cli, "Config Key Change Error",
			   json_get_str(ks, "config-key-change-error", "none"));
		count_field(cli, "Metadata Rekey Index", ks, "metadata-rekey-index");
		seconds_field(cli, "Metadata Last Rekey", ks, "metadata-last-rekey");
		seconds_field(cli, "Metadata Next Rekey", ks, "metadata-next-rekey");
	}
	cli_print(cli, "%s", "");
	render_footer(cli);
	json_free(data);
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

/* The detail block of one security association. */
static void sa_detail(struct cli_def *cli, const struct json *sa)
{
	const char *cert = json_get_str(sa, "peer-certificate", "none");
	char words[64], in[64], line[256];

	cli_print(cli, "Peer Name: %s", json_get_str(sa, "peer-name", "?"));
	if (strcmp(json_get_str(sa, "state", ""), "up") == 0)
		cli_print(cli, "State: UP");
	else if (json_get(sa, "state-reason"))
		cli_print(cli, "State: DOWN (%s)", json_get_str(sa, "state-reason", ""));
	else
		cli_print(cli, "State: DOWN");
	if (json_get(sa, "refused-certificate") && strcmp(cert, "valid") == 0)
		/* the last one it presented was refused: never "Valid" */
		cli_print(cli,
			  "Peer Certificate: Refused (%s); the one authenticated before is kept",
			  state_words(json_get_str(sa, "refused-certificate", ""), words,
				      sizeof(words)));
	else
		cli_print(cli, "Peer Certificate: %s",
			  strcmp(cert, "valid") == 0 ? "Valid"
						     : state_words(cert, words, sizeof(words)));
	cli_print(cli, "Public Key: %s",
		  strcmp(json_get_str(sa, "public-key", ""), "valid") == 0 ? "Valid" : "None");
	if (json_get(sa, "peer-key-fingerprint")) {
		snprintf(line, sizeof(line), "%s (%s)",
			 json_get_str(sa, "peer-key-fingerprint", ""),
			 strcmp(json_get_str(sa, "certificate-authority", ""), "trusted-ca") == 0
				 ? "a trusted CA vouches for it"
				 : "pinned");
		render_wrapped(cli, "Peer Key Fingerprint: ", line);
	}
	if (json_get(sa, "refused-key-fingerprint")) {
		snprintf(line, sizeof(line), "%s (security peer-key accept %s)",
			 json_get_str(sa, "refused-key-fingerprint", ""),
			 json_get_str(sa, "peer-name", "PEER"));
		render_wrapped(cli, "Refused Key Fingerprint: ", line);
	}
	cli_print(cli, "Local salt: %016llx, Remote salt: %016llx",
		  (unsigned long long)state_u64(sa, "local-salt", 0),
		  (unsigned long long)state_u64(sa, "remote-salt", 0));
	if (json_get(sa, "peer-key-rekey-in"))
		render_duration(in, sizeof(in), (int64_t)state_u64(sa, "peer-key-rekey-in", 0));
	else
		snprintf(in, sizeof(in), "never");
	cli_print(cli, "Peer Key Rekey In: %s", in);
	cli_print(cli, "Peer Rekey Count: %llu",
		  (unsigned long long)state_u64(sa, "peer-rekey-count", 0));
	if (json_get(sa, "metadata-key-rekey-in"))
		render_duration(in, sizeof(in), (int64_t)state_u64(sa, "metadata-key-rekey-in", 0));
	else
		snprintf(in, sizeof(in), "never");
	cli_print(cli, "Metadata Key Rekey In: %s", in);
	/* the seed's "12 (2)": the index, then how many keys are held */
	cli_print(cli,
		  "Local Metadata Key Index: %llu (%llu), Remote Metadata Key Index: %llu (%llu)",
		  (unsigned long long)state_u64(sa, "local-metadata-key-index", 0),
		  (unsigned long long)state_u64(sa, "local-metadata-keys-held", 0),
		  (unsigned long long)state_u64(sa, "remote-metadata-key-index", 0),
		  (unsigned long long)state_u64(sa, "remote-metadata-keys-held", 0));
}

/* The peering common name of a path's peer (its security association). */
static const char *peer_id(const struct json *router, const char *peer)
{
	const struct json *sas = json_get(router, "security-association");

	for (size_t i = 0; i < json_len(sas); i++)
		if (strcmp(json_get_str(json_at(sas, i), "peer-name", ""), peer) == 0)
			return json_get_str(json_at(sas, i), "peer-id", "?");
	return "?";
}

/* One line per path, the seed's column widths, wider where a value needs it. */
static void sa_table(struct cli_def *cli, const struct json *router, const char *only)
{
	const struct json *paths = json_get(router, "peer-path");
	int w[6] = {14, 11, 7, 19, 16, 8};
	const char *ifhead = "Network Interface";
	char rule[256];
	size_t o = 0;

	for (size_t i = 0; i < json_len(paths); i++) {
		const struct json *p = json_at(paths, i);
		const char *v[6] = {peer_id(router, json_get_str(p, "peer", "")),
				    json_get_str(p, "peer", ""),
				    json_get_str(p, "node", ""),
				    json_get_str(p, "network-interface", ""),
				    json_get_str(p, "destination", ""),
				    path_status(p)};

		for (int c = 0; c < 6; c++)
			if ((int)strlen(v[c]) + 2 > w[c])
				w[c] = (int)strlen(v[c]) + 2;
	}
	{
		int total = 5;

		for (int c = 0; c < 6; c++)
			total += w[c];
		/* a narrow terminal: "Interface" for "Network Interface" */
		if (render_width(cli) && total > render_width(cli) && w[3] == 19) {
			w[3] = 11;
			ifhead = "Interface";
		}
	}
	for (int c = 0; c < 6; c++) {
		memset(rule + o, '=', (size_t)w[c]);
		o += (size_t)w[c];
		rule[o++] = ' ';
	}
	rule[o - 1] = '\0';
	cli_print(cli, "%s", rule);
	cli_print(cli, " %-*s %-*s %-*s %-*s %-*s %s", w[0] - 1, "Peer", w[1], "Peer Name", w[2],
		  "Node", w[3], ifhead, w[4], "Destination", "Status");
	cli_print(cli, "%s", rule);
	for (size_t i = 0; i < json_len(paths); i++) {
		const struct json *p = json_at(paths, i);
		const char *name = json_get_str(p, "peer", "?");

		if (only && strcmp(only, name) != 0)
			continue;
		cli_print(cli, " %-*s %-*s %-*s %-*s %-*s %s", w[0] - 1, peer_id(router, name),
			  w[1], name, w[2], json_get_str(p, "node", "?"), w[3],
			  json_get_str(p, "network-interface", "?"), w[4],
			  json_get_str(p, "destination", "?"), path_status(p));
	}
}

static int cmd_show_sa(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct svrsh *sh = svrsh_of(cli);
	const char *only = cli_get_optarg_value(cli, "peer", NULL);
	bool detail = cli_get_optarg_value(cli, "detail", NULL) != NULL, found = false;
	const struct json *router, *node, *sas;
	struct json *data;
	char date[64];
	int rc;

	(void)command;
	if (argc > 0 && !only)
		only = argv[0]; /* words libcli left as they were */
	if (argc == 2 && strcmp(argv[1], "detail") == 0)
		detail = true;
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "detail") != 0) || (detail && !only)) {
		cli_error(cli, "%% Error: show security security-associations [PEER [detail]]");
		return CLI_ERROR;
	}
	rc = render_state(cli, "security-association", false, true, &data, &router, &node);
	if (!data)
		return rc;
	sas = json_get(router, "security-association");
	for (size_t i = 0; i < json_len(sas); i++)
		found |= !only || strcmp(json_get_str(json_at(sas, i), "peer-name", ""), only) == 0;
	/* this view's header is one line in the seed's layout */
	render_date(date, sizeof(date));
	cli_print(cli, "%s Retrieving security associations...", date);
	if (!detail)
		sa_table(cli, router, only);
	for (size_t i = 0; detail && i < json_len(sas); i++)
		if (strcmp(json_get_str(json_at(sas, i), "peer-name", ""), only) == 0)
			sa_detail(cli, json_at(sas, i));
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

static const struct arg_slot accept_args[] = {
	{NULL, "peer", "The peer router (TAB: this router's peers)", 0, state_complete_peer},
	{0},
};

void security_commands_register(struct svrsh *sh, struct cli_command *show)
{
	struct cli_command *peers, *sec, *mk;

	peers = cli_register_command(sh->cli, show, "peers", cmd_show_peers, PRIVILEGE_UNPRIVILEGED,
				     MODE_ANY, "Peers of this router");
	cli_register_command(sh->cli, peers, "security", cmd_show_peers_security,
			     PRIVILEGE_UNPRIVILEGED, MODE_ANY,
			     "Key exchange state of every peer path");
	{
		struct cli_command *ss = cli_register_command(
			sh->cli, show, "security", render_needs_more, PRIVILEGE_UNPRIVILEGED,
			MODE_ANY, "Security state of this node");

		cert_commands_register(sh, ss);
		cli_register_command(sh->cli, ss, "key-status", cmd_show_key_status,
				     PRIVILEGE_UNPRIVILEGED, MODE_ANY,
				     "Key manager state, rekey indexes and schedules");
		struct cli_command *sa = cli_register_command(
			sh->cli, ss, "security-associations", cmd_show_sa, PRIVILEGE_UNPRIVILEGED,
			MODE_ANY, "Security associations: [PEER [detail]]");

		if (sa) {
			cli_register_optarg(sa, "peer", CLI_CMD_OPTIONAL_ARGUMENT,
					    PRIVILEGE_UNPRIVILEGED, MODE_ANY,
					    "A peer router (TAB: this router's peers)",
					    state_complete_peer, NULL, NULL);
			cli_register_optarg(sa, "detail", CLI_CMD_OPTIONAL_FLAG,
					    PRIVILEGE_UNPRIVILEGED, MODE_ANY,
					    "Everything about the peer's association", NULL, NULL,
					    NULL);
		}
	}
	{
		struct cli_command *rl = cli_register_command(
			sh->cli, NULL, "reload", render_needs_more, PRIVILEGE_UNPRIVILEGED,
			MODE_EXEC, "Read something again");
		struct cli_command *lo =
			cli_register_command(sh->cli, rl, "local", render_needs_more,
					     PRIVILEGE_UNPRIVILEGED, MODE_EXEC, "This node's own");

		cli_register_command(
			sh->cli, lo, "certificates", cmd_reload_certs, PRIVILEGE_UNPRIVILEGED,
			MODE_EXEC,
			"Read this node's certificate again and redo every key exchange");
	}
	sec = cli_register_command(sh->cli, NULL, "security", render_needs_more,
				   PRIVILEGE_UNPRIVILEGED, MODE_ANY, "Security operations");
	mk = cli_register_command(sh->cli, sec, "metadata-key", render_needs_more,
				  PRIVILEGE_UNPRIVILEGED, MODE_ANY,
				  "The metadata key of this router");
	cli_register_command(sh->cli, mk, "regenerate", cmd_regenerate, PRIVILEGE_UNPRIVILEGED,
			     MODE_ANY,
			     "Make a new metadata key (index + 1) and send it to every peer");
	mk = cli_register_command(sh->cli, sec, "peer-key", render_needs_more,
				  PRIVILEGE_UNPRIVILEGED, MODE_ANY, "The peer keys of this router");
	cli_register_command(sh->cli, mk, "rekey", cmd_peer_rekey, PRIVILEGE_UNPRIVILEGED, MODE_ANY,
			     "Renew the peer key with every peer now, then the metadata key");
	svrsh_args(cli_register_command(
			   sh->cli, mk, "accept", cmd_peer_accept, PRIVILEGE_UNPRIVILEGED, MODE_ANY,
			   "Accept the new key a peer was refused for (PEER): pin it and peer"),
		   accept_args);
}
