/* The key engine's keys: the peer key, the metadata keys handed out,
 * the tags of authenticated datagrams (kex_int.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "kex.h"
#include "kex_int.h"
#include "pki.h"

int kex_peer_key(const struct crypto_kex_key *eph, const uint8_t *peer_pub, size_t peer_pub_len,
		 const uint8_t salt[8], const uint8_t peer_salt[8], const char *pcn,
		 const char *peer_pcn, struct crypto_seal_key *out)
{
	uint8_t secret[CRYPTO_KEX_MAX_PUB], salts[2 * SALT_LEN], info[300], okm[80];
	size_t slen, il;
	bool first = strcmp(pcn, peer_pcn) < 0;
	const char *lo = first ? pcn : peer_pcn, *hi = first ? peer_pcn : pcn;
	int rc;

	if (strlen(pcn) + strlen(peer_pcn) + 24 > sizeof(info) ||
	    crypto_kex_derive(eph, peer_pub, peer_pub_len, secret, sizeof(secret), &slen) < 0)
		return -1;
	memcpy(salts, first ? salt : peer_salt, SALT_LEN);
	memcpy(salts + SALT_LEN, first ? peer_salt : salt, SALT_LEN);
	memcpy(info, "opensvr peer key v1", 20); /* with its NUL */
	il = 20;
	memcpy(info + il, lo, strlen(lo) + 1);
	il += strlen(lo) + 1;
	memcpy(info + il, hi, strlen(hi));
	il += strlen(hi);
	rc = crypto_hkdf_sha384(salts, sizeof(salts), secret, slen, info, il, okm, sizeof(okm));
	if (rc == 0) {
		memcpy(out->enc, okm, CRYPTO_AES_KEY_LEN);
		memcpy(out->mac, okm + CRYPTO_AES_KEY_LEN, CRYPTO_SHA384_LEN);
	}
	crypto_wipe(secret, sizeof(secret));
	crypto_wipe(okm, sizeof(okm));
	return rc;
}

/* A datagram key of the sender named from = HMAC-SHA-384(the peer key's
 * HMAC key, "opensvr path auth v1" NUL from). */
static void auth_key(const struct crypto_seal_key *k, const char *from,
		     uint8_t out[CRYPTO_SHA384_LEN])
{
	uint8_t label[300];
	size_t n = strlen(AUTH_LABEL) + 1, fl = strlen(from);

	if (n + fl > sizeof(label))
		fl = sizeof(label) - n;
	memcpy(label, AUTH_LABEL, n);
	memcpy(label + n, from, fl);
	crypto_hmac_sha384(k->mac, sizeof(k->mac), label, n + fl, out);
}

/* The peer key from our ephemeral and the peer's public value. */
int kx_derive(struct kex_engine *e, struct kex_peer *pr)
{
	struct crypto_seal_key k;

	if (kex_peer_key(pr->eph, pr->peer_pub, pr->peer_pub_len, pr->salt, pr->peer_salt, e->pcn,
			 pr->pcn, &k) < 0)
		return -1;
	if (pr->have_key) {
		/* a rekey: the old key still opens what is on its way; the
		 * one before it is retired */
		crypto_seal_forget(&pr->prev_key);
		pr->prev_key = pr->peer_key;
		memcpy(pr->prev_auth, pr->auth, sizeof(pr->auth));
		pr->prev_gen = pr->key_gen;
		pr->prev_peer_gen = pr->key_peer_gen;
		pr->prev_until = e->now + KEX_SWITCH_MS;
	}
	pr->peer_key = k;
	crypto_wipe(&k, sizeof(k));
	/* the datagram keys: never the peer key itself */
	auth_key(&pr->peer_key, e->pcn, pr->auth[0]);
	auth_key(&pr->peer_key, pr->pcn, pr->auth[1]);
	pr->auth_heard = false;
	pr->key_gen = pr->gen;
	pr->key_peer_gen = pr->peer_gen;
	pr->have_key = true;
	pr->key_ms = e->now;
	return 0;
}

/* One slot's event: its content now. */
static void key_event(struct kex_key_event *out, enum kex_key_slot slot, int peer, bool have,
		      const struct kex_mkey *k)
{
	memset(out, 0, sizeof(*out));
	out->slot = slot;
	out->peer = peer;
	out->have = have;
	if (have)
		out->key = *k;
}

bool kex_key_event(struct kex_engine *e, struct kex_key_event *out)
{
	if (!e)
		return false;
	if (e->own_changed) {
		/* ours, then the previous one it pushed down */
		e->own_changed = false;
		e->prev_changed = true;
		key_event(out, KEX_KEY_OWN, -1, true, &e->mkey);
		return true;
	}
	if (e->prev_changed) {
		e->prev_changed = false;
		key_event(out, KEX_KEY_OWN_PREV, -1, e->have_prev, &e->prev_mkey);
		return true;
	}
	/* a walk over the peers only when one changed: this runs after every
	 * datagram */
	for (int p = 0; e->peers_changed > 0 && p < e->npeers; p++) {
		struct kex_peer *pr = &e->peers[p];

		if (!pr->mkey_changed)
			continue;
		pr->mkey_changed = false;
		e->peers_changed--;
		key_event(out, KEX_KEY_PEER, p, pr->key_rec, &pr->peer_mkey);
		return true;
	}
	return false;
}

void kex_key_resend(struct kex_engine *e)
{
	if (!e)
		return;
	e->own_changed = true;
	for (int p = 0; p < e->npeers; p++)
		if (e->peers[p].key_rec)
			kx_mkey_changed(e, &e->peers[p]);
}

static void auth_tag(const uint8_t key[CRYPTO_SHA384_LEN], const uint8_t *data, size_t len,
		     uint8_t tag[KEX_TAG_LEN])
{
	uint8_t full[CRYPTO_SHA384_LEN];

	crypto_hmac_sha384(key, CRYPTO_SHA384_LEN, data, len, full);
	memcpy(tag, full, KEX_TAG_LEN);
	crypto_wipe(full, sizeof(full));
}

bool kex_auth_required(const struct kex_engine *e, int p)
{
	return e && p >= 0 && p < e->npeers && kx_peer_keyed(&e->peers[p], e->now);
}

static bool has_key(const struct kex_engine *e, int p)
{
	return e && p >= 0 && p < e->npeers && e->peers[p].have_key;
}

/* The old key until the peer shows it holds the new one (or the old
 * one's time is up). */
static bool use_prev(const struct kex_peer *pr, uint64_t now)
{
	return !pr->auth_heard && pr->prev_until > now;
}

uint32_t kex_auth_key_id(const struct kex_engine *e, int p, uint64_t now)
{
	if (!has_key(e, p))
		return 0;
	return use_prev(&e->peers[p], now) ? e->peers[p].prev_gen : e->peers[p].key_gen;
}

bool kex_auth_tag(const struct kex_engine *e, int p, const uint8_t *data, size_t len, uint64_t now,
		  uint32_t *key_id, uint8_t tag[KEX_TAG_LEN])
{
	const struct kex_peer *pr;

	if (!has_key(e, p))
		return false;
	pr = &e->peers[p];
	if (use_prev(pr, now)) {
		*key_id = pr->prev_gen;
		auth_tag(pr->prev_auth[0], data, len, tag);
	} else {
		*key_id = pr->key_gen;
		auth_tag(pr->auth[0], data, len, tag);
	}
	return true;
}

enum kex_auth kex_auth_check(struct kex_engine *e, int p, uint32_t key_id, const uint8_t *data,
			     size_t len, const uint8_t tag[KEX_TAG_LEN], uint64_t now)
{
	struct kex_peer *pr;
	uint8_t want[KEX_TAG_LEN];
	bool ok;

	if (!has_key(e, p))
		return KEX_AUTH_NONE;
	pr = &e->peers[p];
	if (key_id == pr->key_peer_gen) {
		auth_tag(pr->auth[1], data, len, want);
		ok = crypto_equal(want, tag, KEX_TAG_LEN);
		if (ok)
			pr->auth_heard = true;
	} else if (key_id == pr->prev_peer_gen && pr->prev_until > now) {
		auth_tag(pr->prev_auth[1], data, len, want);
		ok = crypto_equal(want, tag, KEX_TAG_LEN);
	} else {
		ok = false;
	}
	return ok ? KEX_AUTH_OK : KEX_AUTH_BAD;
}
