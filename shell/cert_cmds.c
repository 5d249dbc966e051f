/* DOC: show security certificates
 *
 * The certificates this router's security rests on, from the operational
 * state: its own (subject, issuer, serial, validity, fingerprint, whether
 * it made it itself) and, per peer, the verdict on the peer's certificate
 * and what its key rests on (a trusted CA, or a pin).
 */
#include "config.h"

#include <libcli.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "svrsh.h"

static void local_cert(struct cli_def *cli, const struct json *lc)
{
	char a[32], b[32];

	cli_print(cli, "Local certificate");
	if (!lc) {
		cli_print(cli, "  none (enhanced security key management is not running)");
		return;
	}
	state_time_text(json_get_str(lc, "not-before", ""), a, sizeof(a));
	state_time_text(json_get_str(lc, "not-after", ""), b, sizeof(b));
	render_field(cli, "Subject", "%s", json_get_str(lc, "subject", "?"));
	render_field(cli, "Issuer", "%s%s", json_get_str(lc, "issuer", "?"),
		     state_bool(lc, "self-signed") ? " (self-signed, made by this node)" : "");
	render_field(cli, "Serial", "%s", json_get_str(lc, "serial", "?"));
	render_field(cli, "Valid", "%s to %s UTC", a, b);
	render_field(cli, "Fingerprint", "%s", json_get_str(lc, "fingerprint", "?"));
}

static void peer_cert(struct cli_def *cli, const struct json *sa)
{
	const char *ca = json_get_str(sa, "certificate-authority", "none");
	char verdict[64];

	cli_print(cli, "Peer %s (%s)", json_get_str(sa, "peer-name", "?"),
		  json_get_str(sa, "peer-id", "?"));
	render_field(cli, "Certificate", "%s",
		     state_words(json_get_str(sa, "peer-certificate", "none"), verdict,
				 sizeof(verdict)));
	render_field(cli, "Key", "%s",
		     strcmp(ca, "trusted-ca") == 0 ? "a trusted CA vouches for it"
		     : strcmp(ca, "pinned") == 0   ? "pinned (configured or trusted on first use)"
						   : "not known yet");
	if (json_get(sa, "peer-key-fingerprint"))
		render_field(cli, "Key Fingerprint", "%s",
			     json_get_str(sa, "peer-key-fingerprint", ""));
	if (json_get(sa, "refused-certificate"))
		render_field(cli, "Last Refused", "%s",
			     state_words(json_get_str(sa, "refused-certificate", ""), verdict,
					 sizeof(verdict)));
	if (json_get(sa, "refused-key-fingerprint"))
		render_field(cli, "Refused Key", "%s (security peer-key accept %s)",
			     json_get_str(sa, "refused-key-fingerprint", ""),
			     json_get_str(sa, "peer-name", "PEER"));
}

static int cmd_show_certs(struct cli_def *cli, const char *command, char **argv, int argc)
{
	const struct json *router, *node, *sas;
	struct json *data;
	int rc;

	if (argc) {
		cli_error(cli, "%% Error: unknown command \"%s %s\"", command, argv[0]);
		return CLI_ERROR;
	}
	rc = render_state(cli, "local-certificate", true, false, &data, &router, &node);
	if (!data)
		return rc;
	render_header(cli, "certificates");
	local_cert(cli, json_get(node, "local-certificate"));
	sas = json_get(router, "security-association");
	for (size_t i = 0; i < json_len(sas); i++)
		peer_cert(cli, json_at(sas, i));
	render_footer(cli);
	json_free(data);
	return CLI_OK;
}

void cert_commands_register(struct svrsh *sh, struct cli_command *show_security)
{
	cli_register_command(sh->cli, show_security, "certificates", cmd_show_certs,
			     PRIVILEGE_UNPRIVILEGED, MODE_ANY,
			     "This node's certificate and its peers' (verdict, CA or pin)");
}
