/* Peer paths: the key pins learned on first use (STATE/pki/pins) or
 * configured (peering-key-fingerprint), and the persistent counters the
 * key engine numbers generations and metadata keys from. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libyang/libyang.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alarms.h"
#include "conditions.h"
#include "bfd.h"
#include "datastore.h"
#include "event.h"
#include "identity.h"
#include "json.h"
#include "kex.h"
#include "log.h"
#include "model.h"
#include "pcounter.h"
#include "peerpkt.h"
#include "pki.h"
#include "pkiconf.h"
#include "skmconf.h"
#include "sock.h"
#include "svrd.h"
#include "strbuf.h"
#include "svrmeta.h"
#include "peers_int.h"

void pp_pins_path(const struct peers *ps, char *buf, size_t len)
{
	snprintf(buf, len, "%s/pki/pins", ps->d->state_dir);
}

static bool unhex_fp(const char *hex, uint8_t fp[PKI_FP_LEN])
{
	size_t n = 0;

	for (const char *c = hex; c && *c && n < 2 * PKI_FP_LEN; c++) {
		int v = *c >= '0' && *c <= '9'	 ? *c - '0'
			: *c >= 'a' && *c <= 'f' ? *c - 'a' + 10
			: *c >= 'A' && *c <= 'F' ? *c - 'A' + 10
						 : -1;

		if (*c == ':')
			continue;
		if (v < 0)
			return false;
		if (n % 2 == 0)
			fp[n / 2] = (uint8_t)(v << 4);
		else
			fp[n / 2] |= (uint8_t)v;
		n++;
	}
	return n == 2 * PKI_FP_LEN;
}

/* The space before the fingerprint of a pins line when the line is pcn's,
 * else NULL. */
static char *pin_line_of(char *line, const char *pcn)
{
	char *sp = strrchr(line, ' ');

	return sp && (size_t)(sp - line) == strlen(pcn) && strncmp(line, pcn, strlen(pcn)) == 0
		       ? sp
		       : NULL;
}

/* The key persisted for pcn (pinned on first use or accepted) in pins,
 * the pins file's text read once for all peers, if any. */
static bool learned_pin(const char *pins, const char *pcn, uint8_t fp[PKI_FP_LEN])
{
	size_t n = strlen(pcn);

	for (const char *l = pins; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char hex[2 * PKI_FP_LEN + 1];

		/* "PCN HEX": the fingerprint is the line's last word */
		if (strncmp(l, pcn, n) == 0 && l[n] == ' ' &&
		    sscanf(l + n + 1, "%64[0-9a-fA-F]", hex) == 1 && unhex_fp(hex, fp))
			return true;
	}
	return false;
}

/* Persist a pin (replacing pcn's line): write a new file, then rename. */
static int save_pin(const struct peers *ps, const char *pcn, const uint8_t fp[PKI_FP_LEN])
{
	char path[4200], tmp[4300], *text, *line, *save = NULL;
	struct strbuf sb = STRBUF_INIT;
	FILE *f;
	int rc = -1;

	pp_pins_path(ps, path, sizeof(path));
	text = pkiconf_read_text(path);
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		if (!pin_line_of(line, pcn))
			strbuf_addf(&sb, "%s\n", line);
	free(text);
	strbuf_addf(&sb, "%s ", pcn);
	for (int i = 0; i < PKI_FP_LEN; i++)
		strbuf_addf(&sb, "%02x", fp[i]);
	strbuf_addf(&sb, "\n");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (f) {
		rc = fwrite(sb.buf, 1, sb.len, f) == sb.len && fflush(f) == 0 &&
				     fsync(fileno(f)) == 0
			     ? 0
			     : -1;
		if (fclose(f) != 0 || rc < 0 || rename(tmp, path) < 0)
			rc = -1;
	}
	if (rc < 0) {
		unlink(tmp);
		log_warn("key pins: cannot write %s", path);
	}
	strbuf_free(&sb);
	return rc;
}

void pp_save_learned_pins(struct peers *ps)
{
	uint8_t fp[PKI_FP_LEN];
	int p;

	while (ps->kex && kex_take_learned_pin(ps->kex, &p, fp)) {
		log_info("key pin for peer %s saved", kex_peer_pcn(ps->kex, p));
		save_pin(ps, kex_peer_pcn(ps->kex, p), fp);
	}
}

/* The fingerprint configured for router rn (peering-key-fingerprint). */
static bool configured_pin(const struct lyd_node *auth, const char *rn, uint8_t fp[PKI_FP_LEN])
{
	MODEL_FOR_CHILD(auth, "router", r)
	{
		const char *name = model_leaf(r, "name"), *hex;

		if (name && strcmp(name, rn) == 0 &&
		    (hex = model_leaf(r, "peering-key-fingerprint")))
			return unhex_fp(hex, fp);
	}
	return false;
}

void pp_pin_peer(struct peers *ps, const struct lyd_node *auth, const char *pins, const char *rn,
		 const char *ppcn, int idx)
{
	uint8_t fp[PKI_FP_LEN];

	if (configured_pin(auth, rn, fp))
		kex_set_pin(ps->kex, idx, fp, true);
	else if (learned_pin(pins, ppcn, fp))
		kex_set_pin(ps->kex, idx, fp, false);
}

int pp_next_number(void *arg, enum kex_number kind, uint32_t *out)
{
	struct peers *ps = arg;
	uint64_t v;

	if (pcounter_reserve(ps->ctr[kind], 1, &v) < 0 || v > UINT32_MAX) {
		log_warnx("key engine: the %s counter cannot advance",
			  kind == KEX_NUMBER_GEN ? "generation" : "metadata-key index");
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

int pp_open_counters(struct peers *ps, char *err, size_t errlen)
{
	static const char *const names[2] = {"kex-generation", "kex-metadata-index"};
	char path[4200];

	for (int k = 0; k < 2; k++) {
		if (ps->ctr[k])
			continue;
		snprintf(path, sizeof(path), "%s/%s", ps->d->state_dir, names[k]);
		ps->ctr[k] = pcounter_open(path, CTR_STEP, err, errlen);
		if (!ps->ctr[k])
			return -1;
	}
	return 0;
}
