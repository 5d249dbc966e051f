/* The sans-I/O key exchange; see kex.h, kex_int.h and doc/protocol.md.
 * This file: the engine and its peers, the state machine. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "kex.h"
#include "kex_int.h"
#include "pki.h"

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
	e->own_changed = true; /* the first key event gives it */
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
	/* an event says it has no key yet: whatever held keys of an earlier
	 * engine for that number holds none now */
	kx_mkey_changed(e, &np[e->npeers]);
	return e->npeers++;
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
bool kx_peer_keyed(const struct kex_peer *pr, uint64_t now)
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
		kx_send_pending(e, p);
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

void kx_start_salt(struct kex_engine *e, struct kex_peer *pr)
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

/* A fresh ephemeral and salt for this peer (the next generation). */
static void fresh_salt(struct kex_engine *e, struct kex_peer *pr)
{
	crypto_kex_free(pr->eph);
	pr->eph = NULL;
	kx_start_salt(e, pr);
	pr->salt_echo = 0;
	pr->salt_ack = false;
}

/* Forget the keys and the certificate they rest on (not the key pin). */
void kx_reset_peer(struct kex_engine *e, struct kex_peer *pr)
{
	pki_peer_free(pr->pinned);
	pr->pinned = NULL;
	kx_set_der(&pr->pinned_der, &pr->pinned_der_len, NULL, 0);
	pki_peer_free(pr->pending);
	pr->pending = NULL;
	kx_set_der(&pr->pending_der, &pr->pending_der_len, NULL, 0);
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
	kx_mkey_changed(e, pr);
	/* our next SALT answers nothing: a peer still keyed must send its own */
	pr->salt_echo = 0;
}

/* The keys made with the peer, not the certificate: a new one came. */
void kx_reset_keys(struct kex_engine *e, struct kex_peer *pr)
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
	kx_mkey_changed(e, pr);
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
		kx_start_salt(e, pr);
		kx_send_salt(e, p);
	}
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
	tlen = kx_salt_signed(pr->pcn, e->pcn, gen, b, pub, publen, tbs, sizeof(tbs));
	if (!tlen)
		goto drop;
	if (!e->auth_in && kx_peer_keyed(pr, e->now) && !kx_bucket_take(pr, e->now))
		return; /* a signature to check for an unauthenticated datagram */
	if (!pr->pinned || !pki_peer_verify(pr->pinned, tbs, tlen, sig, siglen)) {
		if (!pr->pending || !pki_peer_verify(pr->pending, tbs, tlen, sig, siglen))
			goto drop;
		kx_promote(e, pr);
	}
	if (pr->salt_rec && gen < pr->peer_gen)
		goto drop;     /* older than what we have: a replay */
	pr->refused[0] = '\0'; /* the peer signed with its pinned key: all is well */
	kx_queue(e, p, KEX_SALT_ACK, gen, NULL, 0);
	if (pr->salt_rec && gen == pr->peer_gen)
		return; /* a retransmission: the ack was lost */
	pr->peer_gen = gen;
	memcpy(pr->peer_salt, b, SALT_LEN);
	memcpy(pr->peer_pub, pub, publen);
	pr->peer_pub_len = publen;
	pr->salt_rec = true;
	kx_start_salt(e, pr);
	/* A new value from the peer that is not its answer to our current one
	 * (a rekey, or a peer that restarted): answer with a fresh value of ours
	 * if ours already went into a key.  An answer (echo = our generation)
	 * or a simultaneous rekey (ours is fresh) needs nothing more, so one
	 * round settles it. */
	if (pr->have_key && pr->key_gen == pr->gen && echo != pr->gen) {
		fresh_salt(e, pr);
		pr->salt_echo = gen;
		if (pr->cert_ack)
			kx_send_salt(e, p);
	}
	if (kx_derive(e, pr) < 0) {
		pr->salt_rec = false;
		goto drop;
	}
	pr->key_ack = false;
	kx_send_mkey(e, p);
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
	kx_mkey_changed(e, pr);
	kx_queue(e, p, KEX_MKEY_ACK, index, NULL, 0);
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
	if (!authenticated && kx_peer_keyed(pr, now) && !allowed_unauthenticated(msg[1])) {
		pr->unauth_dropped++;
		return;
	}
	switch (msg[1]) {
	case KEX_CERT:
		kx_on_cert(e, p, msg + HDR, blen, now, gen == 1);
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
	if (pr->dropped == before && (authenticated || !kx_peer_keyed(pr, now))) {
		/* a valid message: the peer is alive */
		pr->last_heard = now;
		if (pr->out_of_service) {
			pr->out_of_service = false;
			pr->next_send = now; /* back to the retransmit interval */
		}
	}
}

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
	e->own_changed = true;
	crypto_wipe(&k, sizeof(k));
	for (int p = 0; p < e->npeers; p++) {
		struct kex_peer *pr = &e->peers[p];

		pr->key_ack = false;
		if (pr->have_key)
			kx_send_mkey(e, p);
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
		kx_send_salt(e, p);
		pr->next_send = now + interval(e, pr);
	}
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
			kx_send_salt(e, p);
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
	out->keys_held = 1u + (e->have_prev ? 1u : 0u);
	out->peer_keys_held = pr->key_rec ? 1u : 0u;
	out->cert_verdict = pr->verdict;
	snprintf(out->cert_detail, sizeof(out->cert_detail), "%s", pr->detail);
	out->dropped = pr->dropped;
	out->gen = pr->gen;
	out->cert_not_after = pr->pinned ? pki_peer_not_after(pr->pinned) : 0;
	out->key_ms = pr->have_key ? pr->key_ms : 0;
	out->key_conflict = pr->key_conflict;
	out->pin_configured = pr->pin_configured;
	if (pr->have_pin)
		kx_hexfp(pr->pin, out->pinned_fp, sizeof(out->pinned_fp));
	if (pr->key_conflict)
		kx_hexfp(pr->offered, out->offered_fp, sizeof(out->offered_fp));
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
