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
/* Unauthenticated work (a certificate to validate, a signature to verify,
 * a certificate or salt sent in answer) costs a token of the peer's
 * bucket: 20 at once, then 10 a second (GCRA: a theoretical arrival time
 * that runs ahead of the clock by at most BURST). */
#define COST_MS	      100
#define BURST_MS      2000
#define VERDICT_CACHE 4	    /* refused certificates remembered per peer ... */
#define VERDICT_MS    60000 /* ... this long (wall clock) */
#define AUTH_LABEL    "opensvr path auth v1"

struct out_msg {
	int peer;
	size_t len;
	uint8_t *buf;
};

/* A certificate refused lately: the same bytes again cost one hash. */
struct verdict_entry {
	uint8_t hash[CRYPTO_SHA384_LEN];
	char verdict[32];
	char detail[160];
	int64_t wall_s; /* 0: empty */
};

struct kex_peer {
	char *pcn;
	struct pki_peer *pinned; /* the certificate the current keys rest on */
	uint8_t *pinned_der;	 /* kept to validate it again (a new CRL) */
	size_t pinned_der_len;
	char verdict[32];
	char detail[160];
	uint8_t cert_hash[CRYPTO_SHA384_LEN]; /* of the certificate we acked */
	/* the key pin: configured, persisted from a first use, or accepted by
	 * the operator; a certificate with another key is refused */
	uint8_t pin[PKI_FP_LEN];
	bool have_pin, pin_configured, pin_learned;
	/* the last certificate refused for its key (for the operator to accept) */
	uint8_t offered[PKI_FP_LEN];
	uint8_t *offered_der;
	size_t offered_len;
	bool key_conflict;
	/* the last certificate refused for being invalid, while another is pinned */
	char refused[32];
	char refused_detail[160];
	/* a valid certificate with a new key: it replaces the pinned one only
	 * once a SALT signed with its key comes in */
	struct pki_peer *pending;
	uint8_t *pending_der;
	size_t pending_der_len;
	struct verdict_entry cache[VERDICT_CACHE];
	uint64_t tat;		 /* the bucket's theoretical arrival time */
	uint64_t rate_limited;	 /* unauthenticated messages not handled */
	uint64_t unauth_dropped; /* what only an authenticated datagram may do */
	uint64_t certs_in, certs_answered;
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
	/* datagram authentication keys, from the peer keys above */
	/* [0] for what we send, [1] for what the peer sends: a datagram
	 * reflected back to its sender never verifies */
	uint8_t auth[2][CRYPTO_SHA384_LEN], prev_auth[2][CRYPTO_SHA384_LEN];
	bool auth_heard; /* the peer has shown it holds the current key */
	struct kex_mkey peer_mkey;
	uint32_t mkey_under; /* the peer generation of the key peer_mkey came under */
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
	int64_t wall_s;	     /* 0: take now_ms as wall-clock time */
	uint64_t now;	     /* of the input being handled */
	bool auth_in;	     /* ... and whether its datagram was authenticated */
	uint32_t counter[2]; /* without cfg.next_number: generations, indexes */
	uint64_t no_number;  /* new keys not made: the counter could not advance */
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

/* The next generation or metadata-key index: from the configured
 * counter (persistent in svrd), else counted here from base. */
static int next_number(struct kex_engine *e, enum kex_number kind, uint32_t *out)
{
	if (e->cfg.next_number) {
		if (e->cfg.next_number(e->cfg.number_arg, kind, out) == 0 && *out)
			return 0;
		e->no_number++;
		return -1;
	}
	if (e->counter[kind] == UINT32_MAX) {
		e->no_number++;
		return -1;
	}
	*out = ++e->counter[kind];
	return 0;
}

static int new_mkey(struct kex_engine *e, struct kex_mkey *k)
{
	uint32_t index;

	if (next_number(e, KEX_NUMBER_INDEX, &index) < 0)
		return -1;
	k->index = index;
	return crypto_random(&k->key, sizeof(k->key));
}

/* GCRA: may the peer's unauthenticated message cost us work now? */
static bool bucket_take(struct kex_peer *pr, uint64_t now)
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

struct kex_engine *kex_new(const struct kex_config *cfg, uint64_t now_ms)
{
	struct kex_engine *e = calloc(1, sizeof(*e));

	(void)now_ms;
	if (!e)
		return NULL;
	e->cfg = *cfg;
	e->pcn = strdup(cfg->pcn);
	e->cfg.pcn = e->pcn;
	e->counter[0] = e->counter[1] = cfg->base ? cfg->base - 1 : 0;
	if (!e->pcn || new_mkey(e, &e->mkey) < 0) {
		/* no metadata key without a fresh index: fail closed */
		kex_free(e);
		return NULL;
	}
	return e;
}

/* A peer's keys leave the seal-context cache with it (crypto.h). */
static void forget_keys(struct kex_peer *pr)
{
	crypto_seal_forget(&pr->peer_key);
	crypto_seal_forget(&pr->prev_key);
	crypto_seal_forget(&pr->peer_mkey.key);
}

void kex_free(struct kex_engine *e)
{
	if (!e)
		return;
	for (int i = 0; i < e->npeers; i++) {
		struct kex_peer *pr = &e->peers[i];

		forget_keys(pr);
		free(pr->pcn);
		pki_peer_free(pr->pinned);
		pki_peer_free(pr->pending);
		free(pr->pinned_der);
		free(pr->pending_der);
		free(pr->offered_der);
		crypto_kex_free(pr->eph);
		crypto_wipe(pr, sizeof(*pr));
	}
	for (size_t i = e->qhead; i < e->qn; i++)
		free(e->q[i].buf);
	free(e->q);
	free(e->last_out);
	free(e->peers);
	crypto_seal_forget(&e->mkey.key);
	crypto_seal_forget(&e->prev_mkey.key);
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

/* Must the peer's datagrams carry a tag?  Once we hold a key and the peer
 * has shown it holds one too: the exchange completed, it tagged with the
 * current key, or it holds the previous one (a rekey).  Before that, a
 * peer that has no key yet (it restarted, or is one step behind) can only
 * send untagged acknowledgements, and they must get through. */
static bool peer_keyed(const struct kex_peer *pr, uint64_t now)
{
	return pr->have_key && (complete(pr) || pr->auth_heard || pr->prev_until > now);
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
	uint32_t gen;

	if (pr->eph)
		return;
	/* a generation the peer has never seen from us, whatever the clock
	 * did and however often we restarted: else it takes us for a replay */
	if (next_number(e, KEX_NUMBER_GEN, &gen) < 0)
		return;
	pr->eph = crypto_kex_generate(e->cfg.alg);
	pr->gen = gen;
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
static int derive(struct kex_engine *e, struct kex_peer *pr)
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

/* A fresh ephemeral and salt for this peer (the next generation). */
static void fresh_salt(struct kex_engine *e, struct kex_peer *pr)
{
	crypto_kex_free(pr->eph);
	pr->eph = NULL;
	start_salt(e, pr);
	pr->salt_echo = 0;
	pr->salt_ack = false;
}

static void set_der(uint8_t **der, size_t *len, const uint8_t *from, size_t flen)
{
	free(*der);
	*der = flen ? malloc(flen) : NULL;
	*len = *der ? flen : 0;
	if (*der)
		memcpy(*der, from, flen);
}

/* Forget the keys and the certificate they rest on (not the key pin). */
static void reset_peer(struct kex_peer *pr)
{
	pki_peer_free(pr->pinned);
	pr->pinned = NULL;
	set_der(&pr->pinned_der, &pr->pinned_der_len, NULL, 0);
	pki_peer_free(pr->pending);
	pr->pending = NULL;
	set_der(&pr->pending_der, &pr->pending_der_len, NULL, 0);
	crypto_wipe(pr->auth, sizeof(pr->auth));
	crypto_wipe(pr->prev_auth, sizeof(pr->prev_auth));
	crypto_kex_free(pr->eph);
	pr->eph = NULL;
	forget_keys(pr);
	crypto_wipe(&pr->peer_key, sizeof(pr->peer_key));
	crypto_wipe(&pr->prev_key, sizeof(pr->prev_key));
	crypto_wipe(&pr->peer_mkey, sizeof(pr->peer_mkey));
	pr->prev_until = 0;
	pr->cert_rec = pr->cert_ack = pr->salt_rec = pr->salt_ack = false;
	pr->key_rec = pr->key_ack = pr->have_key = false;
}

/* The keys made with the peer, not the certificate: a new one came. */
static void reset_keys(struct kex_peer *pr)
{
	crypto_kex_free(pr->eph);
	pr->eph = NULL;
	crypto_wipe(&pr->peer_key, sizeof(pr->peer_key));
	crypto_wipe(&pr->prev_key, sizeof(pr->prev_key));
	crypto_wipe(pr->auth, sizeof(pr->auth));
	crypto_wipe(pr->prev_auth, sizeof(pr->prev_auth));
	crypto_wipe(&pr->peer_mkey, sizeof(pr->peer_mkey));
	pr->prev_until = 0;
	pr->salt_rec = pr->salt_ack = pr->key_rec = pr->key_ack = pr->have_key = false;
	pr->salt_echo = 0;
}

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

static void hexfp(const uint8_t *fp, char *out, size_t cap)
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
	hexfp(pr->pin, want, sizeof(want));
	hexfp(fp, got, sizeof(got));
	snprintf(detail, sizeof(detail), "key %.16s... is not the pinned %.16s...", got, want);
	refuse(pr, pki_verdict_name(PKI_KEY_CHANGED), detail);
	memcpy(pr->offered, fp, PKI_FP_LEN);
	set_der(&pr->offered_der, &pr->offered_len, der, len);
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

	if (!bucket_take(pr, now))
		return;
	pr->certs_answered++;
	/* marked as a reply (generation 1) so that it is never answered in turn */
	queue(e, p, KEX_CERT, 1, mine, dlen);
}

static void send_salt_once(struct kex_engine *e, int p)
{
	struct kex_peer *pr = &e->peers[p];

	start_salt(e, pr);
	if (!pr->salt_ack && bucket_take(pr, e->now))
		send_salt(e, p);
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
		set_der(&pr->pending_der, &pr->pending_der_len, der, len);
		queue(e, p, KEX_CERT_ACK, 0, h, 8); /* so that the peer sends its SALT */
		return;
	}
	pki_peer_free(pr->pinned);
	pr->pinned = pin;
	set_der(&pr->pinned_der, &pr->pinned_der_len, der, len);
	memcpy(pr->cert_hash, h, CRYPTO_SHA384_LEN);
	snprintf(pr->verdict, sizeof(pr->verdict), "valid");
	snprintf(pr->detail, sizeof(pr->detail), "valid");
	pr->refused[0] = '\0';
	pr->cert_rec = true;
	queue(e, p, KEX_CERT_ACK, 0, h, 8);
}

static void on_cert(struct kex_engine *e, int p, const uint8_t *der, size_t len, uint64_t now,
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
		queue(e, p, KEX_CERT_ACK, 0, h, 8);
	} else if ((c = cached(e, pr, h, now))) {
		/* refused a moment ago: the same answer, for a hash */
		refuse(pr, c->verdict, c->detail);
		if (strcmp(c->verdict, pki_verdict_name(PKI_KEY_CHANGED)) == 0)
			pr->key_conflict = true;
		return;
	} else if (!bucket_take(pr, now)) {
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
	if (pr->cert_ack && pr->cert_rec)
		send_salt_once(e, p);
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

/* The peer signed a SALT with the key of its pending certificate: it
 * holds that key, so the certificate replaces the pinned one and the
 * exchange starts over from the salts with it. */
static void promote(struct kex_peer *pr)
{
	uint8_t h[CRYPTO_SHA384_LEN];
	const uint8_t *fp = pki_peer_fingerprint(pr->pending);

	crypto_sha384(pr->pending_der, pr->pending_der_len, h);
	reset_keys(pr);
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

static void on_salt(struct kex_engine *e, int p, uint32_t gen, const uint8_t *b, size_t len)
{
	struct kex_peer *pr = &e->peers[p];
	uint8_t tbs[1024];
	size_t publen, siglen, tlen;
	const uint8_t *pub, *sig;
	uint32_t echo;

	if (!pr->pinned && !pr->pending)
		goto drop;
	if (len < SALT_FIXED + 2)
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
	if (!tlen)
		goto drop;
	if (!e->auth_in && peer_keyed(pr, e->now) && !bucket_take(pr, e->now))
		return; /* a signature to check for an unauthenticated datagram */
	if (!pr->pinned || !pki_peer_verify(pr->pinned, tbs, tlen, sig, siglen)) {
		if (!pr->pending || !pki_peer_verify(pr->pending, tbs, tlen, sig, siglen))
			goto drop;
		promote(pr);
	}
	if (pr->salt_rec && gen < pr->peer_gen)
		goto drop;     /* older than what we have: a replay */
	pr->refused[0] = '\0'; /* the peer signed with its pinned key: all is well */
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
	if (pr->key_rec && gen == pr->mkey_under && index < pr->peer_mkey.index) {
		/* an older key than the one we have, under the same peer key: a
		 * replay.  Under a newer peer key any index is the peer's
		 * current one (it may have restarted and counted again). */
		crypto_wipe(pt, sizeof(pt));
		goto drop;
	}
	if (key == &pr->peer_key)
		pr->auth_heard = true; /* the peer holds the new key: datagrams use it */
	pr->mkey_under = gen;
	if (pr->key_rec && index != pr->peer_mkey.index)
		crypto_seal_forget(&pr->peer_mkey.key); /* retired by its owner */
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

/* What a datagram without a valid tag may still carry once a peer key
 * exists: messages that prove themselves (a certificate that validates
 * and matches the pin, a SALT signed with the pinned key, a metadata key
 * sealed with the peer key).  Acknowledgements prove nothing: only an
 * authenticated datagram may carry them. */
static bool allowed_unauthenticated(uint8_t type)
{
	return type == KEX_CERT || type == KEX_SALT || type == KEX_MKEY;
}

void kex_input(struct kex_engine *e, int p, const uint8_t *msg, size_t len, bool authenticated,
	       uint64_t now)
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
	e->auth_in = authenticated;
	if (!authenticated && peer_keyed(pr, now) && !allowed_unauthenticated(msg[1])) {
		pr->unauth_dropped++;
		return;
	}
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
	if (pr->dropped == before && (authenticated || !peer_keyed(pr, now))) {
		/* a valid message: the peer is alive */
		pr->last_heard = now;
		if (pr->out_of_service) {
			pr->out_of_service = false;
			pr->next_send = now; /* back to the retransmit interval */
		}
	}
}

/* ---- metadata and payload keys --------------------------------------------- */

int kex_regenerate(struct kex_engine *e, uint64_t now)
{
	struct kex_mkey k;

	if (new_mkey(e, &k) < 0)
		return -1; /* the current key stays: no index to give a new one */
	if (e->have_prev)
		crypto_seal_forget(&e->prev_mkey.key); /* the one before: retired */
	e->prev_mkey = e->mkey;
	e->have_prev = true;
	e->mkey = k;
	crypto_wipe(&k, sizeof(k));
	for (int p = 0; p < e->npeers; p++) {
		struct kex_peer *pr = &e->peers[p];

		pr->key_ack = false;
		if (pr->have_key)
			send_mkey(e, p);
		pr->next_send = now + interval(e, pr);
	}
	return 0;
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
	out->key_conflict = pr->key_conflict;
	out->pin_configured = pr->pin_configured;
	if (pr->have_pin)
		hexfp(pr->pin, out->pinned_fp, sizeof(out->pinned_fp));
	if (pr->key_conflict)
		hexfp(pr->offered, out->offered_fp, sizeof(out->offered_fp));
	out->chained = pki_peer_chained(pr->pinned);
	snprintf(out->refused, sizeof(out->refused), "%s", pr->refused);
	snprintf(out->refused_detail, sizeof(out->refused_detail), "%s", pr->refused_detail);
	out->rate_limited = pr->rate_limited;
	out->certs_in = pr->certs_in;
	out->certs_answered = pr->certs_answered;

	out->unauth_dropped = pr->unauth_dropped;
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

/* ---- key pins --------------------------------------------------------------- */

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
		on_cert(e, p, der, len, now, false);
	free(der);
	return 0;
}

/* ---- the trust store changed (a new revocation list) -------------------------- */

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
		set_der(&pr->pending_der, &pr->pending_der_len, NULL, 0);
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
			reset_peer(pr);
			pr->next_send = now;
		}
	}
}

/* ---- authenticated datagrams ------------------------------------------------ */

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
	return e && p >= 0 && p < e->npeers && peer_keyed(&e->peers[p], e->now);
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
