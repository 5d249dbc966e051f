/* The peers' operational state, as YANG data (state.h): the node's
 * key-status and local-certificate, each peer path (BFD, the key
 * exchange's flags, datagram counters), each peer's security
 * association.  Values, not words: the shell renders them. */
#include "config.h"

#include <libyang/libyang.h>
#include <stdio.h>
#include <string.h>

#include "bfd.h"
#include "event.h"
#include "kex.h"
#include "pki.h"
#include "sock.h"
#include "state.h"
#include "svrd.h"
#include "peers_int.h"

static const char *bfd_word(enum bfd_state s)
{
	return s == BFD_UP	     ? "up"
	       : s == BFD_INIT	     ? "init"
	       : s == BFD_ADMIN_DOWN ? "admin-down"
				     : "down";
}

/* A verdict ("not yet valid") as the model's enumeration (not-yet-valid). */
static int verdict_leaf(struct lyd_node *parent, const char *name, const char *verdict)
{
	char v[40];

	snprintf(v, sizeof(v), "%s", verdict && *verdict ? verdict : "none");
	for (char *c = v; *c; c++)
		if (*c == ' ')
			*c = '-';
	return st_leaf(parent, name, "%s", v);
}

static void peer_state_of(const struct peers *ps, int peer, struct kex_peer_state *s)
{
	if (ps->kex) {
		kex_peer_state(ps->kex, peer, s);
		return;
	}
	memset(s, 0, sizeof(*s));
	s->status = "DISABLED";
	s->cert_verdict = "none";
}

static int path_state(const struct peers *ps, const struct path *p, struct lyd_node *router)
{
	struct lyd_node *o = NULL;
	struct kex_peer_state s;
	int rc = 0;

	if (lyd_new_list(router, NULL, "peer-path", 0, &o, p->peer_name, ps->d->node, p->ifname,
			 p->dst_text) != LY_SUCCESS)
		return -1;
	peer_state_of(ps, p->peer, &s);
	rc |= st_leaf(o, "status", "%s", bfd_word(p->bfd.state));
	if (p->bfd.state == BFD_UP) { /* a path that works: what the kernel holds for it */
		int mtu = sock_path_mtu(p->dst_text);

		if (mtu > 0 && mtu <= UINT16_MAX)
			rc |= st_leaf(o, "path-mtu", "%d", mtu);
	}
	rc |= st_leaf(o, "security-status", "%s", s.status);
	rc |= st_u64(o, "salt", s.salt);
	rc |= st_u64(o, "peer-salt", s.peer_salt);
	rc |= st_u64(o, "key-index", s.key_index);
	rc |= st_u64(o, "peer-key-index", s.peer_key_index);
	rc |= st_bool(o, "cert-rec", s.cert_rec);
	rc |= st_bool(o, "cert-ack", s.cert_ack);
	rc |= st_bool(o, "salt-rec", s.salt_rec);
	rc |= st_bool(o, "salt-ack", s.salt_ack);
	rc |= st_bool(o, "key-rec", s.key_rec);
	rc |= st_bool(o, "key-ack", s.key_ack);
	rc |= st_u64(o, "datagrams-received", p->nrx);
	rc |= st_u64(o, "datagrams-sent", p->ntx);
	rc |= st_u64(o, "unauthenticated-datagrams", p->unauth);
	rc |= st_u64(o, "replayed-datagrams", p->replayed);
	return rc;
}

/* When the peer and metadata keys next change (both on the
 * peer-key-rekey-interval schedule); absent when it is never. */
static int rekey_in(const struct peers *ps, struct lyd_node *o, const char *name)
{
	if (!ps->mkey_interval_ms)
		return 0;
	return st_seconds_until(o, name, ps->mkey_since_ms + ps->mkey_interval_ms, ev_now_ms());
}

/* Why the association cannot carry traffic, NULL when it can: what the
 * peer's alarms say, from the same health (pp_peer_health). */
static const char *down_reason(const struct peers *ps, const struct peer_health *h,
			       const struct kex_peer_state *s)
{
	if (!ps->kex)
		return "enhanced security key management is not running here";
	if (h->refused)
		return "its certificate was refused (invalid-certificate-behavior fail-hard)";
	if (h->refuses_us)
		return "the peer does not accept this router's certificate (its alarms say why)";
	if (h->silent) /* its BFD comes bare, so ours is down too: this says why */
		return "the peer does not speak enhanced security key management";
	if (!h->any_up)
		return "no path to it is up";
	if (strcmp(s->status, "MKEY_EXCH_COMP") != 0)
		return "the key exchange has not completed";
	return NULL;
}

/* The security association with the peer of path i (its first path). */
static int sa_state(const struct peers *ps, int i, struct lyd_node *router)
{
	const struct path *p = &ps->paths[i];
	struct lyd_node *o = NULL;
	struct kex_peer_state s;
	struct peer_health h;
	const char *why;
	int rc = 0;

	if (lyd_new_list(router, NULL, "security-association", 0, &o, p->peer_name) != LY_SUCCESS)
		return -1;
	peer_state_of(ps, p->peer, &s);
	pp_peer_health(ps, i, ev_now_ms(), &h);
	why = down_reason(ps, &h, &s);
	rc |= st_leaf(o, "peer-id", "%s", ps->kex ? kex_peer_pcn(ps->kex, p->peer) : "");
	rc |= st_leaf(o, "state", "%s", why ? "down" : "up");
	if (why)
		rc |= st_leaf(o, "state-reason", "%s", why);
	rc |= verdict_leaf(o, "peer-certificate", s.cert_verdict);
	rc |= st_leaf(o, "certificate-authority", "%s",
		      s.chained	       ? "trusted-ca"
		      : s.pinned_fp[0] ? "pinned"
				       : "none");
	if (s.pinned_fp[0])
		rc |= st_leaf(o, "peer-key-fingerprint", "%s", s.pinned_fp);
	if (s.key_conflict)
		rc |= st_leaf(o, "refused-key-fingerprint", "%s", s.offered_fp);
	if (s.refused[0])
		rc |= verdict_leaf(o, "refused-certificate", s.refused);
	rc |= st_u64(o, "rate-limited-messages", s.rate_limited);
	rc |= st_u64(o, "certificates-received", s.certs_in);
	rc |= st_u64(o, "certificates-answered", s.certs_answered);
	rc |= st_leaf(o, "public-key", "%s",
		      s.key_conflict ? "invalid"
		      : s.cert_rec   ? "valid"
				     : "unknown");
	rc |= st_u64(o, "local-salt", s.salt);
	rc |= st_u64(o, "remote-salt", s.peer_salt);
	rc |= rekey_in(ps, o, "peer-key-rekey-in");
	rc |= st_u64(o, "peer-rekey-count", s.gen > 1 ? s.gen - 1 : 0);
	rc |= rekey_in(ps, o, "metadata-key-rekey-in");
	rc |= st_u64(o, "local-metadata-key-index", s.key_index);
	rc |= st_u64(o, "remote-metadata-key-index", s.peer_key_index);
	rc |= st_u64(o, "local-metadata-keys-held", s.keys_held);
	rc |= st_u64(o, "remote-metadata-keys-held", s.peer_keys_held);
	return rc;
}

static int key_status(const struct peers *ps, struct lyd_node *node)
{
	struct lyd_node *o = st_inner(node, "key-status");
	uint64_t now = ev_now_ms(), key_ms = 0;
	uint32_t gen = 0;
	int rc = 0;

	if (!o)
		return -1;
	rc |= st_leaf(o, "key-manager-state", "%s", ps->active ? "active-leader" : "inactive");
	if (!ps->active || !ps->kex)
		return rc;
	for (int p = 0; p < ps->npaths; p++) {
		struct kex_peer_state s;

		kex_peer_state(ps->kex, ps->paths[p].peer, &s);
		gen = s.gen > gen ? s.gen : gen;
		key_ms = s.key_ms > key_ms ? s.key_ms : key_ms;
	}
	/* peer keys: the newest one made with any peer */
	rc |= st_u64(o, "rekey-index", gen);
	if (key_ms)
		rc |= st_u64(o, "last-rekey", (now - key_ms) / 1000);
	rc |= rekey_in(ps, o, "next-rekey");
	rc |= st_u64(o, "key-change-count", ps->mkey_changes);
	rc |= st_u64(o, "config-key-change-count", ps->config_changes);
	rc |= st_u64(o, "metadata-rekey-index", kex_local_index(ps->kex));
	rc |= st_u64(o, "metadata-last-rekey", (now - ps->mkey_since_ms) / 1000);
	rc |= rekey_in(ps, o, "metadata-next-rekey");
	return rc;
}

static int local_certificate(const struct peers *ps, struct lyd_node *node)
{
	struct lyd_node *o;
	struct pki_cert_info ci;
	const uint8_t *der;
	size_t len;
	int rc = 0;

	if (!ps->id)
		return 0;
	der = pki_identity_der(ps->id, &len);
	if (!(o = st_inner(node, "local-certificate")) || pki_cert_info(der, len, &ci) < 0)
		return -1;
	rc |= st_leaf(o, "subject", "%s", ci.subject);
	rc |= st_leaf(o, "issuer", "%s", ci.issuer);
	rc |= st_leaf(o, "serial", "%s", ci.serial);
	rc |= st_time(o, "not-before", ci.not_before);
	rc |= st_time(o, "not-after", ci.not_after);
	rc |= st_bool(o, "self-signed", pki_identity_self_signed(ps->id));
	rc |= st_leaf(o, "fingerprint", "%s", ci.fingerprint);
	return rc;
}

static int fill(void *arg, struct lyd_node *router, struct lyd_node *node)
{
	const struct peers *ps = arg;
	int rc = key_status(ps, node) | local_certificate(ps, node);

	for (int i = 0; i < ps->npaths; i++)
		rc |= path_state(ps, &ps->paths[i], router);
	for (int i = 0; i < ps->npaths; i++)
		if (i == 0 || ps->paths[i - 1].peer != ps->paths[i].peer)
			rc |= sa_state(ps, i, router); /* once per peer */
	return rc;
}

int pp_register_state(struct peers *ps)
{
	return svrd_state_register(ps->d, fill, ps);
}
