/* The key engine's certificates: validation, refusals, key pins, the
 * certificate behaviour and a new trust store (kex_int.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "kex.h"
#include "kex_int.h"
#include "pki.h"

static int64_t wall(const struct kex_engine *e, uint64_t now)
{
	return e->wall_s ? e->wall_s : (int64_t)(now / 1000);
}

static unsigned check_flags(const struct kex_engine *e)
{
	/* without a trusted CA, or one under validation-mode warn, a
	 * certificate no CA vouches for is pinned on first use */
	return PKI_ALLOW_UNCHAINED | (e->cfg.untrusted_ok ? PKI_WARN_CA : 0) |
	       (e->cfg.fail_hard ? PKI_NEED_REVOCATION : 0);
}

static struct verdict_entry *cached(struct kex_engine *e, struct kex_peer *pr,
				    const uint8_t h[CRYPTO_SHA384_LEN], uint64_t now)
{
	for (int i = 0; i < VERDICT_CACHE; i++) {
		struct verdict_entry *c = &pr->cache[i];

		if (c->wall_s && wall(e, now) - c->wall_s < VERDICT_MS / 1000 &&
		    wall(e, now) >= c->wall_s && crypto_equal(c->hash, h, CRYPTO_SHA384_LEN))
			return c;
	}
	return NULL;
}

static void remember(struct kex_engine *e, struct kex_peer *pr, const uint8_t *h,
		     const char *verdict, const char *detail, uint64_t now)
{
	int oldest = 0;

	for (int i = 1; i < VERDICT_CACHE; i++)
		if (pr->cache[i].wall_s < pr->cache[oldest].wall_s)
			oldest = i;
	memcpy(pr->cache[oldest].hash, h, CRYPTO_SHA384_LEN);
	snprintf(pr->cache[oldest].verdict, sizeof(pr->cache[0].verdict), "%s", verdict);
	snprintf(pr->cache[oldest].detail, sizeof(pr->cache[0].detail), "%s", detail);
	pr->cache[oldest].wall_s = wall(e, now) ? wall(e, now) : 1;
}

/* A certificate refused: what the operator sees.  The keys and the
 * certificate they rest on stay (an unauthenticated datagram must never
 * take an established peering down); with nothing pinned, the verdict is
 * the peer's. */
static void refuse(struct kex_peer *pr, const char *verdict, const char *detail)
{
	pr->dropped++;
	if (!pr->pinned) {
		snprintf(pr->verdict, sizeof(pr->verdict), "%s", verdict);
		snprintf(pr->detail, sizeof(pr->detail), "%s", detail);
	}
	snprintf(pr->refused, sizeof(pr->refused), "%s", verdict);
	snprintf(pr->refused_detail, sizeof(pr->refused_detail), "%s", detail);
}

void kx_hexfp(const uint8_t *fp, char *out, size_t cap)
{
	for (size_t i = 0; i < PKI_FP_LEN && 2 * i + 2 < cap; i++)
		snprintf(out + 2 * i, 3, "%02x", fp[i]);
}

/* Is a valid certificate's key the one pinned for the peer?  A CA's word
 * replaces a pin learned on first use, never a configured one. */
static bool pin_allows(struct kex_peer *pr, const struct pki_peer *pin, const uint8_t *der,
		       size_t len)
{
	const uint8_t *fp = pki_peer_fingerprint(pin);
	char want[2 * PKI_FP_LEN + 1] = "", got[2 * PKI_FP_LEN + 1] = "", detail[200];

	if (!pr->have_pin) {
		if (pki_peer_chained(pin))
			return true;
		memcpy(pr->pin, fp, PKI_FP_LEN); /* trust on first use */
		pr->have_pin = pr->pin_learned = true;
		return true;
	}
	if (crypto_equal(pr->pin, fp, PKI_FP_LEN) || (pki_peer_chained(pin) && !pr->pin_configured))
		return true;
	kx_hexfp(pr->pin, want, sizeof(want));
	kx_hexfp(fp, got, sizeof(got));
	snprintf(detail, sizeof(detail), "key %.16s... is not the pinned %.16s...", got, want);
	refuse(pr, pki_verdict_name(PKI_KEY_CHANGED), detail);
	memcpy(pr->offered, fp, PKI_FP_LEN);
	kx_set_der(&pr->offered_der, &pr->offered_len, der, len);
	pr->key_conflict = true;
	return false;
}

/* Our certificate (again): answers a peer that may have lost ours, from
 * the peer's bucket, so that spoofed copies cannot make us a reflector
 * (a hard once a second starved a peer that restarted twice in a second). */
static void reply_cert(struct kex_engine *e, int p, uint64_t now)
{
	struct kex_peer *pr = &e->peers[p];
	size_t dlen;
	const uint8_t *mine = pki_identity_der(e->cfg.id, &dlen);

	if (!kx_bucket_take(pr, now))
		return;
	pr->certs_answered++;
	/* marked as a reply (generation 1) so that it is never answered in turn */
	kx_queue(e, p, KEX_CERT, 1, mine, dlen);
}

/* Our SALT, unless the peer acknowledged it; again, when the peer may
 * have lost it. */
static void send_salt_once(struct kex_engine *e, int p, bool again)
{
	struct kex_peer *pr = &e->peers[p];

	kx_start_salt(e, pr);
	if ((!pr->salt_ack || again) && kx_bucket_take(pr, e->now))
		kx_send_salt(e, p);
}

/* A valid certificate, its key allowed by the pin: the first one, the same
 * key again (a renewed certificate), or a new key, held until the peer
 * signs a SALT with it. */
static void take_cert(struct kex_engine *e, int p, struct pki_peer *pin, const uint8_t *der,
		      size_t len, const uint8_t *h)
{
	struct kex_peer *pr = &e->peers[p];

	if (pr->pinned && !pki_peer_same_key(pin, pr->pinned)) {
		pki_peer_free(pr->pending);
		pr->pending = pin;
		kx_set_der(&pr->pending_der, &pr->pending_der_len, der, len);
		kx_queue(e, p, KEX_CERT_ACK, 0, h, 8); /* so that the peer sends its SALT */
		return;
	}
	pki_peer_free(pr->pinned);
	pr->pinned = pin;
	kx_set_der(&pr->pinned_der, &pr->pinned_der_len, der, len);
	memcpy(pr->cert_hash, h, CRYPTO_SHA384_LEN);
	snprintf(pr->verdict, sizeof(pr->verdict), "valid");
	snprintf(pr->detail, sizeof(pr->detail), "valid");
	pr->refused[0] = '\0';
	pr->cert_rec = true;
	kx_queue(e, p, KEX_CERT_ACK, 0, h, 8);
}

void kx_on_cert(struct kex_engine *e, int p, const uint8_t *der, size_t len, uint64_t now,
		bool is_reply)
{
	struct kex_peer *pr = &e->peers[p];
	enum pki_verdict v;
	struct pki_peer *pin;
	struct verdict_entry *c;
	uint8_t h[CRYPTO_SHA384_LEN];
	char detail[sizeof(pr->detail)];

	crypto_sha384(der, len, h);
	pr->certs_in++;
	if (pr->pinned && crypto_equal(h, pr->cert_hash, sizeof(h))) {
		/* the certificate we hold: nothing to validate */
		kx_queue(e, p, KEX_CERT_ACK, 0, h, 8);
	} else if ((c = cached(e, pr, h, now))) {
		/* refused a moment ago: the same answer, for a hash */
		refuse(pr, c->verdict, c->detail);
		if (strcmp(c->verdict, pki_verdict_name(PKI_KEY_CHANGED)) == 0)
			pr->key_conflict = true;
		return;
	} else if (!kx_bucket_take(pr, now)) {
		return;
	} else {
		pin = pki_peer_check(e->cfg.trust, der, len, pr->pcn, wall(e, now), check_flags(e),
				     &v, detail, sizeof(detail));
		if (!pin) {
			refuse(pr, pki_verdict_name(v), detail);
			remember(e, pr, h, pki_verdict_name(v), detail, now);
			return;
		}
		if (!pin_allows(pr, pin, der, len)) {
			remember(e, pr, h, pr->refused, pr->refused_detail, now);
			pki_peer_free(pin);
			return;
		}
		take_cert(e, p, pin, der, len, h);
	}
	if (pr->cert_ack && !is_reply)
		reply_cert(e, p, now); /* it may have restarted and lost ours */
	/* A peer that sends its certificate afresh while we hold no peer key
	 * yet may have restarted after it acknowledged our SALT: the new one
	 * never had it, and waits for it as we wait for its key.  (With a
	 * key, the peer's new SALT starts a new round: kex.c.) */
	if (pr->cert_ack && pr->cert_rec)
		send_salt_once(e, p, !is_reply && !pr->have_key);
}

void kx_set_der(uint8_t **der, size_t *len, const uint8_t *from, size_t flen)
{
	free(*der);
	*der = flen ? malloc(flen) : NULL;
	*len = *der ? flen : 0;
	if (*der)
		memcpy(*der, from, flen);
}

/* The peer signed a SALT with the key of its pending certificate: it
 * holds that key, so the certificate replaces the pinned one and the
 * exchange starts over from the salts with it. */
void kx_promote(struct kex_engine *e, struct kex_peer *pr)
{
	uint8_t h[CRYPTO_SHA384_LEN];
	const uint8_t *fp = pki_peer_fingerprint(pr->pending);

	crypto_sha384(pr->pending_der, pr->pending_der_len, h);
	kx_reset_keys(e, pr);
	pki_peer_free(pr->pinned);
	pr->pinned = pr->pending;
	pr->pending = NULL;
	free(pr->pinned_der);
	pr->pinned_der = pr->pending_der;
	pr->pinned_der_len = pr->pending_der_len;
	pr->pending_der = NULL;
	pr->pending_der_len = 0;
	memcpy(pr->cert_hash, h, sizeof(h));
	if (pr->have_pin && !pr->pin_configured && !crypto_equal(pr->pin, fp, PKI_FP_LEN)) {
		memcpy(pr->pin, fp, PKI_FP_LEN); /* a CA vouched for the new key */
		pr->pin_learned = true;
	}
	snprintf(pr->verdict, sizeof(pr->verdict), "valid");
	snprintf(pr->detail, sizeof(pr->detail), "valid");
	pr->cert_rec = true;
}

int kex_enforce(struct kex_engine *e, int64_t wall_s, uint64_t now)
{
	int dropped = 0;

	e->wall_s = wall_s;
	for (int p = 0; p < e->npeers; p++) {
		struct kex_peer *pr = &e->peers[p];
		int64_t na = pr->pinned ? pki_peer_not_after(pr->pinned) : 0;

		if (!pr->pinned || na > wall_s)
			continue;
		if (strcmp(pr->verdict, "valid") == 0) {
			/* it was valid when it came in */
			snprintf(pr->verdict, sizeof(pr->verdict), "expired");
			snprintf(pr->detail, sizeof(pr->detail), "expired while in use");
		}
		if (!e->cfg.fail_hard)
			continue;
		kx_reset_peer(e, pr);
		pr->next_send = now;
		dropped++;
	}
	return dropped;
}

void kex_set_pin(struct kex_engine *e, int p, const uint8_t fp[PKI_FP_LEN], bool configured)
{
	struct kex_peer *pr;

	if (!e || p < 0 || p >= e->npeers)
		return;
	pr = &e->peers[p];
	if (!fp) {
		pr->have_pin = pr->pin_configured = false;
		return;
	}
	memcpy(pr->pin, fp, PKI_FP_LEN);
	pr->have_pin = true;
	pr->pin_configured = configured;
	pr->pin_learned = false;
}

bool kex_take_learned_pin(struct kex_engine *e, int *p, uint8_t fp[PKI_FP_LEN])
{
	for (int i = 0; e && i < e->npeers; i++)
		if (e->peers[i].pin_learned) {
			e->peers[i].pin_learned = false;
			*p = i;
			memcpy(fp, e->peers[i].pin, PKI_FP_LEN);
			return true;
		}
	return false;
}

int kex_accept_key(struct kex_engine *e, int p, uint64_t now)
{
	struct kex_peer *pr;
	uint8_t *der;
	size_t len;

	if (!e || p < 0 || p >= e->npeers || !e->peers[p].key_conflict)
		return -1;
	pr = &e->peers[p];
	if (pr->pin_configured)
		return -1; /* the configuration says which key: change it there */
	memcpy(pr->pin, pr->offered, PKI_FP_LEN);
	pr->pin_learned = true;
	pr->key_conflict = false;
	pr->refused[0] = '\0';
	memset(pr->cache, 0, sizeof(pr->cache));
	/* the refused certificate, taken again at once: it becomes pending
	 * (or pinned) and the peer's next SALT brings the keys */
	der = pr->offered_der;
	len = pr->offered_len;
	pr->offered_der = NULL;
	pr->offered_len = 0;
	e->now = now;
	e->auth_in = false;
	pr->tat = 0;
	if (der)
		kx_on_cert(e, p, der, len, now, false);
	free(der);
	return 0;
}

void kex_set_trust(struct kex_engine *e, const struct pki_trust *t, int64_t wall_s, uint64_t now)
{
	e->cfg.trust = t;
	e->wall_s = wall_s;
	for (int p = 0; p < e->npeers; p++) {
		struct kex_peer *pr = &e->peers[p];
		enum pki_verdict v;
		char detail[sizeof(pr->detail)];
		struct pki_peer *again;

		memset(pr->cache, 0, sizeof(pr->cache));
		pki_peer_free(pr->pending);
		pr->pending = NULL;
		kx_set_der(&pr->pending_der, &pr->pending_der_len, NULL, 0);
		if (!pr->pinned) {
			/* refused before (fail-hard tore it down, or its
			 * certificate was bad): under the new trust its
			 * certificate is judged afresh.  Ours goes out again,
			 * which a peer still keyed answers with its own (it
			 * offers it no other way). */
			if (strcmp(pr->verdict, "valid") != 0 && !pr->cert_rec) {
				snprintf(pr->verdict, sizeof(pr->verdict), "none");
				pr->detail[0] = '\0';
				pr->cert_ack = false;
				pr->next_send = now;
			}
			continue;
		}
		again = pki_peer_check(t, pr->pinned_der, pr->pinned_der_len, pr->pcn, wall_s,
				       check_flags(e), &v, detail, sizeof(detail));
		if (again) {
			pki_peer_free(pr->pinned);
			pr->pinned = again;
			snprintf(pr->verdict, sizeof(pr->verdict), "valid");
			snprintf(pr->detail, sizeof(pr->detail), "valid");
			continue;
		}
		/* authenticated before, invalid now: fail-soft keeps the keys
		 * and says so; fail-hard ends the peering */
		snprintf(pr->verdict, sizeof(pr->verdict), "%s", pki_verdict_name(v));
		snprintf(pr->detail, sizeof(pr->detail), "%s", detail);
		if (e->cfg.fail_hard) {
			kx_reset_peer(e, pr);
			pr->next_send = now;
		}
	}
}
