/* The key engine's messages: the header, the queue, the SALT and MKEY
 * bodies, the budget for unauthenticated work (kex_int.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "kex.h"
#include "kex_int.h"
#include "pki.h"

void kx_queue(struct kex_engine *e, int p, uint8_t type, uint32_t gen, const uint8_t *body,
	      size_t blen)
{
	uint8_t *buf;

	if (blen > MSG_MAX - HDR)
		return;
	if (e->qn == e->qcap) {
		struct out_msg *nq;

		if (e->qhead) {
			memmove(e->q, e->q + e->qhead, (e->qn - e->qhead) * sizeof(*e->q));
			e->qn -= e->qhead;
			e->qhead = 0;
		}
		if (e->qn == e->qcap) {
			nq = realloc(e->q, (e->qcap ? e->qcap * 2 : 16) * sizeof(*nq));
			if (!nq)
				return;
			e->q = nq;
			e->qcap = e->qcap ? e->qcap * 2 : 16;
		}
	}
	buf = malloc(HDR + blen);
	if (!buf)
		return;
	buf[0] = KEX_VERSION;
	buf[1] = type;
	put16(buf + 2, (uint32_t)blen);
	put32(buf + 4, gen);
	if (blen)
		memcpy(buf + HDR, body, blen);
	e->q[e->qn++] = (struct out_msg){p, HDR + blen, buf};
}

bool kex_output(struct kex_engine *e, int *p, const uint8_t **msg, size_t *len)
{
	free(e->last_out);
	e->last_out = NULL;
	if (e->qhead == e->qn)
		return false;
	*p = e->q[e->qhead].peer;
	*msg = e->last_out = e->q[e->qhead].buf;
	*len = e->q[e->qhead].len;
	e->qhead++;
	if (e->qhead == e->qn)
		e->qhead = e->qn = 0;
	return true;
}

/* What the signature of a SALT covers. */
size_t kx_salt_signed(const char *from, const char *to, uint32_t gen, const uint8_t *fixed,
		      const uint8_t *pub, size_t publen, uint8_t *buf, size_t cap)
{
	size_t n = 0, fl = strlen(from), tl = strlen(to);

	if (16 + fl + 1 + tl + 1 + 4 + SALT_FIXED + publen > cap)
		return 0;
	memcpy(buf, "opensvr-salt-v2", 16);
	n = 16;
	memcpy(buf + n, from, fl + 1);
	n += fl + 1;
	memcpy(buf + n, to, tl + 1);
	n += tl + 1;
	put32(buf + n, gen);
	n += 4;
	memcpy(buf + n, fixed, SALT_FIXED); /* salt, echo, algorithm */
	n += SALT_FIXED;
	memcpy(buf + n, pub, publen);
	return n + publen;
}

void kx_send_salt(struct kex_engine *e, int p)
{
	struct kex_peer *pr = &e->peers[p];
	uint8_t pub[CRYPTO_KEX_MAX_PUB], sig[PKI_SIG_MAX], tbs[1024], body[2048];
	size_t publen, siglen, tlen, n = 0;

	if (!pr->eph || crypto_kex_public(pr->eph, pub, sizeof(pub), &publen) < 0)
		return;
	memcpy(body, pr->salt, SALT_LEN);
	put32(body + SALT_LEN, pr->salt_echo);
	body[SALT_LEN + 4] = (uint8_t)e->cfg.alg;
	n = SALT_FIXED;
	tlen = kx_salt_signed(e->pcn, pr->pcn, pr->gen, body, pub, publen, tbs, sizeof(tbs));
	if (!tlen || pki_sign(e->cfg.id, tbs, tlen, sig, sizeof(sig), &siglen) < 0)
		return;
	put16(body + n, (uint32_t)publen);
	n += 2;
	memcpy(body + n, pub, publen);
	n += publen;
	put16(body + n, (uint32_t)siglen);
	n += 2;
	memcpy(body + n, sig, siglen);
	n += siglen;
	kx_queue(e, p, KEX_SALT, pr->gen, body, n);
}

void kx_send_mkey(struct kex_engine *e, int p)
{
	struct kex_peer *pr = &e->peers[p];
	uint8_t pt[MKEY_PT_LEN], body[4 + 256];
	uint8_t aad[HDR + 4];
	ssize_t n;

	put32(pt, e->mkey.index);
	memcpy(pt + 4, e->mkey.key.enc, CRYPTO_AES_KEY_LEN);
	memcpy(pt + 4 + CRYPTO_AES_KEY_LEN, e->mkey.key.mac, CRYPTO_SHA384_LEN);
	put32(body, pr->key_peer_gen);
	aad[0] = KEX_VERSION;
	aad[1] = KEX_MKEY;
	put16(aad + 2, 0); /* the length is not known yet: not authenticated */
	put32(aad + 4, pr->key_gen);
	put32(aad + 8, pr->key_peer_gen);
	n = crypto_seal(&pr->peer_key, aad, sizeof(aad), pt, sizeof(pt), body + 4,
			sizeof(body) - 4);
	crypto_wipe(pt, sizeof(pt));
	if (n > 0)
		kx_queue(e, p, KEX_MKEY, pr->key_gen, body, 4 + (size_t)n);
}

/* Send whatever this peer has not acknowledged yet. */
void kx_send_pending(struct kex_engine *e, int p)
{
	struct kex_peer *pr = &e->peers[p];
	size_t dlen;
	const uint8_t *der = pki_identity_der(e->cfg.id, &dlen);

	if (!pr->cert_ack)
		kx_queue(e, p, KEX_CERT, 0, der, dlen);
	if (pr->cert_rec && pr->cert_ack && !pr->salt_ack)
		kx_send_salt(e, p);
	if (pr->have_key && !pr->key_ack)
		kx_send_mkey(e, p);
}

/* GCRA: may the peer's unauthenticated message cost us work now? */
bool kx_bucket_take(struct kex_peer *pr, uint64_t now)
{
	if (pr->tat < now)
		pr->tat = now;
	if (pr->tat - now > BURST_MS) {
		pr->rate_limited++;
		return false;
	}
	pr->tat += COST_MS;
	return true;
}
