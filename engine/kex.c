/* The sans-I/O key exchange; see kex.h and doc/protocol.md. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "kex.h"
#include "pki.h"

#define HDR	      8 /* version, type, length (2), generation (4) */
#define KEX_VERSION   1
#define SALT_LEN      8
#define SALT_FIXED    (SALT_LEN + 4 + 1) /* salt, echo, algorithm */
#define MKEY_PT_LEN   (4 + CRYPTO_AES_KEY_LEN + CRYPTO_SHA384_LEN)
#define MSG_MAX	      8192
#define KEX_SWITCH_MS 30000 /* the old peer key is accepted this long */

struct out_msg {
	int peer;
	size_t len;
	uint8_t *buf;
};

struct kex_peer {
	char *pcn;
	struct pki_peer *pinned;
	char verdict[32];
	char detail[160];
	uint8_t cert_hash[CRYPTO_SHA384_LEN]; /* of the certificate we acked */
	bool cert_rec, cert_ack, salt_rec, salt_ack, key_rec, key_ack;
	/* our ephemeral for this peer */
	struct crypto_kex_key *eph;
	uint32_t gen;
	uint8_t salt[SALT_LEN];
	uint32_t salt_echo; /* the peer generation our SALT answers, 0: none */
	/* the peer's */
	uint32_t peer_gen;
	uint8_t peer_salt[SALT_LEN];
	uint8_t peer_pub[CRYPTO_KEX_MAX_PUB];
	size_t peer_pub_len;
	bool have_key;
	uint64_t key_ms;
	struct crypto_seal_key peer_key;
	uint32_t key_gen, key_peer_gen; /* the ephemerals the peer key was made of */
	/* the key before the last rekey, still accepted for KEX_SWITCH_MS */
	struct crypto_seal_key prev_key;
	uint32_t prev_gen, prev_peer_gen;
	uint64_t prev_until;
	struct kex_mkey peer_mkey;
	/* timers */
	uint64_t next_send;  /* retransmission of what is unacknowledged */
	uint64_t last_heard; /* last valid message */
	bool out_of_service;
	bool started;
	uint64_t dropped;
};

struct kex_engine {
	struct kex_config cfg;
	char *pcn;
	struct kex_mkey mkey, prev_mkey;
	bool have_prev;
	struct kex_peer *peers;
	int npeers;
	struct out_msg *q;
	size_t qn, qcap, qhead;
	uint8_t *last_out;
	int64_t wall_s; /* 0: take now_ms as wall-clock time */
	uint64_t now;	/* of the input being handled */
};

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void new_mkey(struct kex_mkey *k, uint32_t index)
{
	k->index = index;
	crypto_random(&k->key, sizeof(k->key));
}

struct kex_engine *kex_new(const struct kex_config *cfg, uint64_t now_ms)
{
	struct kex_engine *e = calloc(1, sizeof(*e));

	(void)now_ms;
	if (!e)
		return NULL;
	e->cfg = *cfg;
	e->pcn = strdup(cfg->pcn);
	e->cfg.pcn = e->pcn;
	new_mkey(&e->mkey, cfg->base ? cfg->base : 1);
	return e;
}

void kex_free(struct kex_engine *e)
{
	if (!e)
		return;
	for (int i = 0; i < e->npeers; i++) {
		free(e->peers[i].pcn);
		pki_peer_free(e->peers[i].pinned);
		crypto_kex_free(e->peers[i].eph);
		crypto_wipe(&e->peers[i], sizeof(e->peers[i]));
	}
	for (size_t i = e->qhead; i < e->qn; i++)
		free(e->q[i].buf);
	free(e->q);
	free(e->last_out);
	free(e->peers);
	crypto_wipe(&e->mkey, sizeof(e->mkey));
	crypto_wipe(&e->prev_mkey, sizeof(e->prev_mkey));
	free(e->pcn);
	free(e);
}

int kex_add_peer(struct kex_engine *e, const char *pcn)
{
	struct kex_peer *np = realloc(e->peers, (size_t)(e->npeers + 1) * sizeof(*np));

	if (!np)
		return -1;
	e->peers = np;
	memset(&np[e->npeers], 0, sizeof(np[0]));
	np[e->npeers].pcn = strdup(pcn);
	snprintf(np[e->npeers].verdict, sizeof(np[0].verdict), "none");
	return e->npeers++;
}

/* ---- sending ------------------------------------------------------------- */

static void queue(struct kex_engine *e, int p, uint8_t type, uint32_t gen, const uint8_t *body,
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
static size_t salt_signed(const char *from, const char *to, uint32_t gen, const uint8_t *fixed,
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

static void send_salt(struct kex_engine *e, int p)
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
	tlen = salt_signed(e->pcn, pr->pcn, pr->gen, body, pub, publen, tbs, sizeof(tbs));
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
	queue(e, p, KEX_SALT, pr->gen, body, n);
}

static void send_mkey(struct kex_engine *e, int p)
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
		queue(e, p, KEX_MKEY, pr->key_gen, body, 4 + (size_t)n);
}

/* Send whatever this peer has not acknowledged yet. */
static void send_pending(struct kex_engine *e, int p)
{
	struct kex_peer *pr = &e->peers[p];
	size_t dlen;
	const uint8_t *der = pki_identity_der(e->cfg.id, &dlen);

	if (!pr->cert_ack)
		queue(e, p, KEX_CERT, 0, der, dlen);
	if (pr->cert_rec && pr->cert_ack && !pr->salt_ack)
		send_salt(e, p);
	if (pr->have_key && !pr->key_ack)
		send_mkey(e, p);
}

static bool complete(const struct kex_peer *pr)
{
	return pr->cert_rec && pr->cert_ack && pr->salt_rec && pr->salt_ack && pr->key_rec &&
	       pr->key_ack;
}

static uint64_t interval(const struct kex_engine *e, const struct kex_peer *pr)
{
	return pr->out_of_service ? e->cfg.timeout_ms : e->cfg.retransmit_ms;
}

void kex_tick(struct kex_engine *e, uint64_t now)
{
	for (int p = 0; p < e->npeers; p++) {
		struct kex_peer *pr = &e->peers[p];

		if (!pr->started) {
			pr->started = true;
			pr->last_heard = now; /* the timeout runs from the first attempt */
		}
		if (!complete(pr) && !pr->out_of_service &&
		    now - pr->last_heard >= e->cfg.timeout_ms)
			pr->out_of_service = true;
		if (complete(pr) || now < pr->next_send)
			continue;
		send_pending(e, p);
		pr->next_send = now + interval(e, pr);
	}
}

uint64_t kex_next_deadline(const struct kex_engine *e)
{
	uint64_t next = UINT64_MAX;

	for (int p = 0; p < e->npeers; p++) {
		const struct kex_peer *pr = &e->peers[p];

		if (!complete(pr) && pr->next_send < next)
			next = pr->next_send;
		if (!complete(pr) && !pr->out_of_service && pr->started &&
		    pr->last_heard + e->cfg.timeout_ms < next)
			next = pr->last_heard + e->cfg.timeout_ms;
	}
	return next;
}

/* ---- receiving ----------------------------------------------------------- */

static void start_salt(struct kex_engine *e, struct kex_peer *pr)
{
	if (pr->eph)
		return;
	pr->eph = crypto_kex_generate(e->cfg.alg);
	pr->gen = pr->gen ? pr->gen + 1 : e->cfg.base ? e->cfg.base : 1;
	crypto_random(pr->salt, SALT_LEN);
}

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

/* The peer key from our ephemeral and the peer's public value. */
static int derive(struct kex_engine *e, struct kex_peer *pr)
{
	struct crypto_seal_key k;

	if (kex_peer_key(pr->eph, pr->peer_pub, pr->peer_pub_len, pr->salt, pr->peer_salt, e->pcn,
			 pr->pcn, &k) < 0)
		return -1;
	if (pr->have_key) {
		/* a rekey: the old key still opens what is on its way */
		pr->prev_key = pr->peer_key;
		pr->prev_gen = pr->key_gen;
		pr->prev_peer_gen = pr->key_peer_gen;
		pr->prev_until = e->now + KEX_SWITCH_MS;
	}
	pr->peer_key = k;
	crypto_wipe(&k, sizeof(k));
	pr->key_gen = pr->gen;
	pr->key_peer_gen = pr->peer_gen;
	pr->have_key = true;
	pr->key_ms = e->now;
	return 0;
}

/* A fresh ephemeral and salt for this peer (the next generation). */
static void fresh_salt(struct kex_engine *e, struct kex_peer *pr)
{
	crypto_kex_free(pr->eph);
	pr->eph = NULL;
	start_salt(e, pr);
	pr->salt_echo = 0;
	pr->salt_ack = false;
}

/* Forget everything about peer p but its name: keys wiped, flags down. */
static void reset_peer(struct kex_peer *pr)
{
	pki_peer_free(pr->pinned);
	pr->pinned = NULL;
	crypto_kex_free(pr->eph);
	pr->eph = NULL;
	crypto_wipe(&pr->peer_key, sizeof(pr->peer_key));
	crypto_wipe(&pr->prev_key, sizeof(pr->prev_key));
	crypto_wipe(&pr->peer_mkey, sizeof(pr->peer_mkey));
	pr->prev_until = 0;
	pr->cert_rec = pr->cert_ack = pr->salt_rec = pr->salt_ack = false;
	pr->key_rec = pr->key_ack = pr->have_key = false;
}

static void on_cert(struct kex_engine *e, int p, const uint8_t *der, size_t len, uint64_t now,
		    bool is_reply)
{
	struct kex_peer *pr = &e->peers[p];
	enum pki_verdict v;
	struct pki_peer *pin;
	uint8_t h[CRYPTO_SHA384_LEN];

	char detail[sizeof(pr->detail)];

	/* NULL only when malformed or a signature is broken */
	pin = pki_peer_validate_soft(e->cfg.trust, der, len, pr->pcn,
				     e->wall_s ? e->wall_s : (int64_t)(now / 1000), &v, detail,
				     sizeof(detail));
	crypto_sha384(der, len, h);
	if ((!pin && pr->pinned) ||
	    (pin && v != PKI_OK && pr->pinned && strcmp(pr->verdict, "valid") == 0 &&
	     !crypto_equal(h, pr->cert_hash, sizeof(h)) && pki_peer_same_key(pin, pr->pinned))) {
		/* Garbage, or the valid certificate we hold with its name,
		 * issuer or dates changed on the way: tampering, not the
		 * peer's new certificate.  Nothing changes. */
		pki_peer_free(pin);
		pr->dropped++;
		return;
	}
	snprintf(pr->verdict, sizeof(pr->verdict), "%s", pki_verdict_name(v));
	snprintf(pr->detail, sizeof(pr->detail), "%s", detail);
	if (pin && v != PKI_OK && e->cfg.fail_hard &&
	    !(v == PKI_UNTRUSTED && e->cfg.untrusted_ok)) {
		pki_peer_free(pin);
		pin = NULL;
		/* fail-hard: the peer no longer presents a valid certificate,
		 * so the peering it had ends here, keys and all (it comes back
		 * by itself with a valid one) */
		if (pr->pinned || pr->have_key) {
			reset_peer(pr);
			pr->next_send = now;
		}
	}
	if (!pin) {
		pr->dropped++;
		return;
	}
	if (pr->cert_rec && !crypto_equal(h, pr->cert_hash, sizeof(h))) {
		/* a new certificate: pin it and start over from the salts */
		crypto_kex_free(pr->eph);
		pr->eph = NULL;
		pr->salt_rec = pr->salt_ack = pr->key_rec = pr->key_ack = pr->have_key = false;
	}
	pki_peer_free(pr->pinned);
	pr->pinned = pin;
	memcpy(pr->cert_hash, h, sizeof(h));
	pr->cert_rec = true;
	queue(e, p, KEX_CERT_ACK, 0, h, 8);
	if (pr->cert_ack && !is_reply) {
		/* The peer sends its certificate again: it may have restarted
		 * and lost ours.  Ours again, marked as a reply (generation 1)
		 * so that it is never answered in turn. */
		size_t dlen;
		const uint8_t *mine = pki_identity_der(e->cfg.id, &dlen);

		queue(e, p, KEX_CERT, 1, mine, dlen);
	}
	if (pr->cert_ack) {
		start_salt(e, pr);
		send_salt(e, p);
	}
}

static void on_cert_ack(struct kex_engine *e, int p, const uint8_t *body, size_t len)
{
	struct kex_peer *pr = &e->peers[p];
	uint8_t h[CRYPTO_SHA384_LEN];
	size_t dlen;
	const uint8_t *der = pki_identity_der(e->cfg.id, &dlen);

	crypto_sha384(der, dlen, h);
	if (len != 8 || !crypto_equal(h, body, 8)) {
		pr->dropped++;
		return;
	}
	if (pr->cert_ack)
		return;
	pr->cert_ack = true;
	if (pr->cert_rec) {
		start_salt(e, pr);
		send_salt(e, p);
	}
}

static void on_salt(struct kex_engine *e, int p, uint32_t gen, const uint8_t *b, size_t len)
{
	struct kex_peer *pr = &e->peers[p];
	uint8_t tbs[1024];
	size_t publen, siglen, tlen;
	const uint8_t *pub, *sig;
	uint32_t echo;

	if (!pr->pinned || len < SALT_FIXED + 2)
		goto drop;
	publen = get16(b + SALT_FIXED);
	if (len < SALT_FIXED + 2 + publen + 2 || publen > CRYPTO_KEX_MAX_PUB)
		goto drop;
	pub = b + SALT_FIXED + 2;
	siglen = get16(pub + publen);
	sig = pub + publen + 2;
	if (len != SALT_FIXED + 2 + publen + 2 + siglen || b[SALT_LEN + 4] != (uint8_t)e->cfg.alg)
		goto drop;
	echo = get32(b + SALT_LEN);
	tlen = salt_signed(pr->pcn, e->pcn, gen, b, pub, publen, tbs, sizeof(tbs));
	if (!tlen || !pki_peer_verify(pr->pinned, tbs, tlen, sig, siglen))
		goto drop;
	if (pr->salt_rec && gen < pr->peer_gen)
		goto drop; /* older than what we have: a replay */
	queue(e, p, KEX_SALT_ACK, gen, NULL, 0);
	if (pr->salt_rec && gen == pr->peer_gen)
		return; /* a retransmission: the ack was lost */
	pr->peer_gen = gen;
	memcpy(pr->peer_salt, b, SALT_LEN);
	memcpy(pr->peer_pub, pub, publen);
	pr->peer_pub_len = publen;
	pr->salt_rec = true;
	start_salt(e, pr);
	/* A new value from the peer that is not its answer to our current one
	 * (a rekey, or a peer that restarted): answer with a fresh value of ours
	 * if ours already went into a key.  An answer (echo = our generation)
	 * or a simultaneous rekey (ours is fresh) needs nothing more, so one
	 * round settles it. */
	if (pr->have_key && pr->key_gen == pr->gen && echo != pr->gen) {
		fresh_salt(e, pr);
		pr->salt_echo = gen;
		if (pr->cert_ack)
			send_salt(e, p);
	}
	if (derive(e, pr) < 0) {
		pr->salt_rec = false;
		goto drop;
	}
	pr->key_ack = false;
	send_mkey(e, p);
	return;
drop:
	pr->dropped++;
}

static void on_salt_ack(struct kex_engine *e, int p, uint32_t gen)
{
	struct kex_peer *pr = &e->peers[p];

	if (!pr->eph || gen != pr->gen) {
		pr->dropped++;
		return;
	}
	pr->salt_ack = true;
}

static void on_mkey(struct kex_engine *e, int p, uint32_t gen, const uint8_t *b, size_t len)
{
	struct kex_peer *pr = &e->peers[p];
	uint8_t aad[HDR + 4], pt[MKEY_PT_LEN + CRYPTO_AES_BLOCK];
	const struct crypto_seal_key *key;
	ssize_t n;
	uint32_t index;

	if (!pr->have_key || len < 4)
		goto drop;
	if (gen == pr->key_peer_gen && get32(b) == pr->key_gen)
		key = &pr->peer_key;
	else if (pr->prev_until > e->now && gen == pr->prev_peer_gen && get32(b) == pr->prev_gen)
		key = &pr->prev_key; /* sent before our rekey reached the peer */
	else
		goto drop; /* sealed with a peer key we do not have (any more) */
	aad[0] = KEX_VERSION;
	aad[1] = KEX_MKEY;
	put16(aad + 2, 0);
	put32(aad + 4, gen);
	put32(aad + 8, get32(b));
	n = crypto_open(key, aad, sizeof(aad), b + 4, len - 4, pt, sizeof(pt));
	if (n != MKEY_PT_LEN)
		goto drop;
	index = get32(pt);
	if (pr->key_rec && index < pr->peer_mkey.index) {
		crypto_wipe(pt, sizeof(pt));
		goto drop; /* an older key than the one we have */
	}
	pr->peer_mkey.index = index;
	memcpy(pr->peer_mkey.key.enc, pt + 4, CRYPTO_AES_KEY_LEN);
	memcpy(pr->peer_mkey.key.mac, pt + 4 + CRYPTO_AES_KEY_LEN, CRYPTO_SHA384_LEN);
	crypto_wipe(pt, sizeof(pt));
	pr->key_rec = true;
	queue(e, p, KEX_MKEY_ACK, index, NULL, 0);
	return;
drop:
	pr->dropped++;
}

static void on_mkey_ack(struct kex_engine *e, int p, uint32_t index)
{
	struct kex_peer *pr = &e->peers[p];

	if (index != e->mkey.index) {
		pr->dropped++;
		return;
	}
	pr->key_ack = true;
}

void kex_input(struct kex_engine *e, int p, const uint8_t *msg, size_t len, uint64_t now)
{
	struct kex_peer *pr;
	uint32_t blen, gen;
	uint64_t before;

	if (p < 0 || p >= e->npeers)
		return;
	pr = &e->peers[p];
	e->now = now;
	before = pr->dropped;
	if (len < HDR || msg[0] != KEX_VERSION || (blen = get16(msg + 2)) != len - HDR) {
		pr->dropped++;
		return;
	}
	gen = get32(msg + 4);
	switch (msg[1]) {
	case KEX_CERT:
		on_cert(e, p, msg + HDR, blen, now, gen == 1);
		break;
	case KEX_CERT_ACK:
		on_cert_ack(e, p, msg + HDR, blen);
		break;
	case KEX_SALT:
		on_salt(e, p, gen, msg + HDR, blen);
		break;
	case KEX_SALT_ACK:
		on_salt_ack(e, p, gen);
		break;
	case KEX_MKEY:
		on_mkey(e, p, gen, msg + HDR, blen);
		break;
	case KEX_MKEY_ACK:
		on_mkey_ack(e, p, gen);
		break;
	default:
		pr->dropped++;
	}
	if (pr->dropped == before) {
		/* a valid message: the peer is alive */
		pr->last_heard = now;
		if (pr->out_of_service) {
			pr->out_of_service = false;
			pr->next_send = now; /* back to the retransmit interval */
		}
	}
}

/* ---- metadata and payload keys --------------------------------------------- */

void kex_regenerate(struct kex_engine *e, uint64_t now)
{
	e->prev_mkey = e->mkey;
	e->have_prev = true;
	new_mkey(&e->mkey, e->mkey.index + 1);
	for (int p = 0; p < e->npeers; p++) {
		struct kex_peer *pr = &e->peers[p];

		pr->key_ack = false;
		if (pr->have_key)
			send_mkey(e, p);
		pr->next_send = now + interval(e, pr);
	}
}

void kex_rekey(struct kex_engine *e, uint64_t now)
{
	e->now = now;
	for (int p = 0; p < e->npeers; p++) {
		struct kex_peer *pr = &e->peers[p];

		if (!pr->have_key || !pr->cert_rec || !pr->cert_ack)
			continue; /* nothing to renew yet */
		fresh_salt(e, pr);
		send_salt(e, p);
		pr->next_send = now + interval(e, pr);
	}
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
		reset_peer(pr);
		pr->next_send = now;
		dropped++;
	}
	return dropped;
}

bool kex_fail_hard(const struct kex_engine *e)
{
	return e && e->cfg.fail_hard;
}

void kex_set_fail_hard(struct kex_engine *e, bool fail_hard)
{
	e->cfg.fail_hard = fail_hard;
}

void kex_set_timers(struct kex_engine *e, uint64_t retransmit_ms, uint64_t timeout_ms)
{
	e->cfg.retransmit_ms = retransmit_ms;
	e->cfg.timeout_ms = timeout_ms;
}

void kex_set_alg(struct kex_engine *e, enum crypto_kex alg, uint64_t now)
{
	if (alg == e->cfg.alg)
		return;
	e->cfg.alg = alg;
	e->now = now;
	for (int p = 0; p < e->npeers; p++) {
		struct kex_peer *pr = &e->peers[p];

		pr->salt_rec = false;
		fresh_salt(e, pr);
		if (pr->cert_rec && pr->cert_ack)
			send_salt(e, p);
		pr->next_send = now + interval(e, pr);
	}
}

void kex_path_up(struct kex_engine *e, int p, uint64_t now)
{
	if (p >= 0 && p < e->npeers) {
		e->peers[p].next_send = now;
		kex_tick(e, now);
	}
}

void kex_set_wallclock(struct kex_engine *e, int64_t wall_s)
{
	e->wall_s = wall_s;
}

uint32_t kex_local_index(const struct kex_engine *e)
{
	return e->mkey.index;
}

const char *kex_peer_pcn(const struct kex_engine *e, int p)
{
	return p >= 0 && p < e->npeers ? e->peers[p].pcn : "";
}

void kex_peer_state(const struct kex_engine *e, int p, struct kex_peer_state *out)
{
	const struct kex_peer *pr = &e->peers[p];

	memset(out, 0, sizeof(*out));
	out->cert_rec = pr->cert_rec;
	out->cert_ack = pr->cert_ack;
	out->salt_rec = pr->salt_rec;
	out->salt_ack = pr->salt_ack;
	out->key_rec = pr->key_rec;
	out->key_ack = pr->key_ack;
	out->salt = pr->eph ? get64(pr->salt) : 0;
	out->peer_salt = pr->salt_rec ? get64(pr->peer_salt) : 0;
	out->key_index = e->mkey.index;
	out->peer_key_index = pr->key_rec ? pr->peer_mkey.index : 0;
	out->cert_verdict = pr->verdict;
	snprintf(out->cert_detail, sizeof(out->cert_detail), "%s", pr->detail);
	out->dropped = pr->dropped;
	out->gen = pr->gen;
	out->cert_not_after = pr->pinned ? pki_peer_not_after(pr->pinned) : 0;
	out->key_ms = pr->have_key ? pr->key_ms : 0;
	out->status = pr->out_of_service	     ? "OUT_OF_SERVICE"
		      : complete(pr)		     ? "MKEY_EXCH_COMP"
		      : pr->have_key		     ? "MKEY_EXCH"
		      : pr->cert_rec && pr->cert_ack ? "SALT_EXCH"
						     : "CERT_EXCH";
}

ssize_t kex_wrap(const struct kex_engine *e, int p, const uint8_t *key, size_t len, uint8_t *out,
		 size_t cap)
{
	const struct kex_peer *pr;
	ssize_t n;

	if (p < 0 || p >= e->npeers || cap < 4)
		return -1;
	pr = &e->peers[p];
	if (!pr->key_rec)
		return -1; /* no metadata key from this peer yet */
	put32(out, pr->peer_mkey.index);
	n = crypto_seal(&pr->peer_mkey.key, out, 4, key, len, out + 4, cap - 4);
	return n < 0 ? -1 : n + 4;
}

int kex_peer_mkey(const struct kex_engine *e, int p, struct kex_mkey *out)
{
	if (!e || p < 0 || p >= e->npeers || !e->peers[p].key_rec)
		return -1;
	*out = e->peers[p].peer_mkey;
	return 0;
}

int kex_own_mkey(const struct kex_engine *e, uint32_t index, struct crypto_seal_key *out)
{
	if (!e)
		return -1;
	if (index == e->mkey.index)
		*out = e->mkey.key;
	else if (e->have_prev && index == e->prev_mkey.index)
		*out = e->prev_mkey.key;
	else
		return -1;
	return 0;
}

ssize_t kex_unwrap(const struct kex_engine *e, const uint8_t *in, size_t len, uint8_t *key,
		   size_t cap)
{
	const struct kex_mkey *k;
	uint32_t index;

	if (len < 4)
		return -1;
	index = get32(in);
	if (index == e->mkey.index)
		k = &e->mkey;
	else if (e->have_prev && index == e->prev_mkey.index)
		k = &e->prev_mkey; /* sealed before our switch-over reached the sender */
	else
		return -1;
	return crypto_open(&k->key, in, 4, in + 4, len - 4, key, cap);
}

int kex_payload_new(struct kex_payload_key *pk, uint64_t now)
{
	pk->generation = 1;
	pk->created_ms = now;
	return crypto_random(&pk->key, sizeof(pk->key));
}

bool kex_payload_due(const struct kex_payload_key *pk, uint64_t now, uint64_t interval_ms)
{
	return interval_ms && now - pk->created_ms >= interval_ms;
}

int kex_payload_rotate(struct kex_payload_key *pk, uint64_t now)
{
	uint32_t g = pk->generation + 1;

	crypto_wipe(pk, sizeof(*pk));
	if (kex_payload_new(pk, now) < 0)
		return -1;
	pk->generation = g;
	return 0;
}
