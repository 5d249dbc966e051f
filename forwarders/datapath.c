/* DOC: the datapath's packet path
 *
 * What the datapath does with one packet (datapath.h says why), as two
 * short dispatchers over the steps the other files provide (dp_int.h
 * lists them):
 *
 *   dp_lan_in   parse it; a packet SVR cannot carry is dropped where SVR
 *               carries traffic, passed elsewhere; find its session by
 *               5-tuple, or make one if it goes to a service; seal it for
 *               the WAN, with the session's metadata while the handshake
 *               is not done.
 *   dp_wan_in   only UDP from a peer's waypoint to ours on a waypoint
 *               port is SVR's; read its metadata frame (a re-trigger, or
 *               a first packet: take the session from it); find the
 *               session by port, or ask for its metadata again; check
 *               the sequence number, take a rotated payload key; relay
 *               it (a hub) or open it and restore the original packet
 *               for the LAN.
 *
 * Both write into the caller's struct dp_out, never anywhere else, and
 * count every packet they take in dp->st, a drop under its reason. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "dp_int.h"

const char *dp_drop_name(enum dp_drop d)
{
	static const char *const n[DP_DROP_N] = {
		"malformed",
		"no peer key",
		"no session",
		"replay",
		"bad tag",
		"unknown key index",
		"bad metadata",
		"stale first packet",
		"no waypoint port",
		"unsupported",
		"fragment",
		"ipv6 extension header",
		"tcp without syn",
		"foreign destination",
		"source session limit",
		"session table full",
		"no sequence epoch",
	};

	return (unsigned)d < DP_DROP_N ? n[d] : "?";
}

struct dp *dp_new(const char *router)
{
	struct dp *dp = calloc(1, sizeof(*dp));

	if (!dp)
		return NULL;
	dp->keys = keyring_new();
	snprintf(dp->router, sizeof(dp->router), "%s", router ? router : "");
	dp->by_fwd = malloc(BUCKETS * sizeof(int));
	dp->by_rev = malloc(BUCKETS * sizeof(int));
	dp->by_port = malloc(BUCKETS * sizeof(int));
	dp->by_src = malloc(SRC_BUCKETS * sizeof(int));
	dp->peers = calloc(MAX_PEERS, sizeof(*dp->peers));
	dp->ext_slot = malloc(MAX_PEERS * sizeof(int));
	dp->services = calloc(MAX_SERVICES, sizeof(*dp->services));
	dp->locals = calloc(MAX_LOCALS, sizeof(*dp->locals));
	dp->peer_slot = malloc(PEER_SLOTS * sizeof(int));
	if (!dp->keys || !dp->by_fwd || !dp->by_rev || !dp->by_port || !dp->by_src || !dp->peers ||
	    !dp->ext_slot || !dp->services || !dp->locals || !dp->peer_slot ||
	    crypto_random(dp->hkey, sizeof(dp->hkey)) < 0) {
		dp_free(dp);
		return NULL;
	}
	memset(dp->by_fwd, 0xff, BUCKETS * sizeof(int));
	memset(dp->by_rev, 0xff, BUCKETS * sizeof(int));
	memset(dp->by_port, 0xff, BUCKETS * sizeof(int));
	memset(dp->by_src, 0xff, SRC_BUCKETS * sizeof(int));
	memset(dp->ext_slot, 0xff, MAX_PEERS * sizeof(int));
	memset(dp->peer_slot, 0xff, PEER_SLOTS * sizeof(int));
	/* slots are set up as they are named (dp_add_peer): a large table,
	 * left untouched until then */
	dp->free_head = -1;
	dp->src_free = -1;
	dp->lim = (struct dp_limits){DP_DEFAULT_MAX_SESSIONS, DP_DEFAULT_MAX_PER_SOURCE,
				     DP_DEFAULT_UNANSWERED_MS};
	return dp;
}

int dp_key_event(struct dp *dp, const struct kex_key_event *ev)
{
	return dp ? keyring_take(dp->keys, ev) : -1;
}

void dp_keys_clear(struct dp *dp)
{
	if (dp)
		keyring_clear(dp->keys);
}

void dp_free(struct dp *dp)
{
	if (!dp)
		return;
	for (int i = 0; i < dp->ns; i++)
		if (dp->s[i].used) {
			crypto_pkt_key_free(dp->s[i].ck);
			crypto_pkt_key_free(dp->s[i].prev_ck);
			crypto_wipe(&dp->s[i].pk, sizeof(dp->s[i].pk));
		}
	for (int i = 0; dp->peers && i < dp->nslots; i++)
		free(dp->peers[i].ports);
	keyring_free(dp->keys);
	free(dp->s);
	free(dp->by_fwd);
	free(dp->by_rev);
	free(dp->by_port);
	free(dp->by_src);
	free(dp->srcs);
	free(dp->peers);
	free(dp->ext_slot);
	free(dp->services);
	free(dp->locals);
	free(dp->peer_slot);
	crypto_wipe(dp->hkey, sizeof(dp->hkey));
	free(dp);
}

const struct dp_stats *dp_stats(const struct dp *dp)
{
	return &dp->st;
}

void dp_stats_clear(struct dp *dp)
{
	if (dp)
		memset(&dp->st, 0, sizeof(dp->st));
}

/* ---- LAN to WAN ---------------------------------------------------------------- */

/* Seal what packet k carries (body, blen) for session s behind the
 * metadata frame already at out->pkt + wan_hl (mlen bytes, 0: none), and
 * put the WAN datagram in out. */
static enum dp_verdict seal_wan(struct dp *dp, struct sess *s, bool reverse, size_t mlen,
				const uint8_t *body, size_t blen, uint64_t now, struct dp_out *out)
{
	const struct peer *pr = &dp->peers[s->peer];
	size_t hl = wan_hl(pr);
	uint8_t *frame = out->pkt + hl;
	uint64_t seq = sess_next_seq(dp, s);
	ssize_t n;

	if (!seq)
		return drop(dp, out, DP_DROP_NO_EPOCH);
	n = crypto_pkt_seal(s->ck, reverse ? 1 : 0, seq, frame, mlen, body, blen, frame + mlen,
			    sizeof(out->pkt) - hl - mlen);
	if (n >= 8 && !mlen && !memcmp(frame, svrmeta_cookie, 8)) {
		/* ciphertext that happens to begin with the cookie (one time in
		 * 2^64): a bare header in front, sealed over like any frame */
		struct svrmeta_writer w;

		svrmeta_begin(&w, frame, 64);
		mlen = svrmeta_finish(&w);
		n = crypto_pkt_seal(s->ck, reverse ? 1 : 0, s->tx_seq, frame, mlen, body, blen,
				    frame + mlen, sizeof(out->pkt) - hl - mlen);
	}
	if (n < 0 || hl + mlen + (size_t)n > DP_MAX_PKT)
		return drop(dp, out, DP_DROP_MALFORMED);
	out->len = pkt_build_wan(out->pkt, pr, s->port, mlen + (size_t)n);
	if (reverse)
		sess_answered(dp, s); /* the host behind us answered the far one */
	s->last_ms = now;
	s->pkts_out++;
	dp->st.wan_out++;
	dp->st.wan_out_bytes += out->len;
	return DP_SEND;
}

/* LAN packet k of session si to the WAN, in the direction reverse says,
 * with what the handshake asks for in front. */
static enum dp_verdict send_wan(struct dp *dp, int si, const struct pkt *k, bool reverse,
				uint64_t now, struct dp_out *out)
{
	struct sess *s = &dp->s[si];
	uint8_t *frame = out->pkt + wan_hl(&dp->peers[s->peer]);
	enum dp_drop why = DP_DROP_N;
	const uint8_t *body;
	size_t mlen = 0, blen;

	pkt_inner(k, &body, &blen);
	body = pkt_tcp_ready(dp, k, body, blen);
	if (!s->acked && s->ingress && !reverse) /* a first packet: what the egress router needs */
		why = meta_for_first(dp, s, k->syn, crypto_pkt_len(blen), now, frame, &mlen, out);
	else if (!s->acked && !s->ingress && reverse)
		mlen = meta_have_it(frame); /* the egress router's answer */
	if (why != DP_DROP_N)
		return drop(dp, out, why);
	return seal_wan(dp, s, reverse, mlen, body, blen, now, out);
}

/* A LAN packet SVR does not carry (a fragment, an IPv6 extension
 * header, one it cannot read): dropped and counted when it goes where SVR
 * carries traffic (a service prefix, or the far host of a session),
 * never passed in clear there; elsewhere the kernel's. */
static enum dp_verdict not_carried(struct dp *dp, const struct pkt *k, enum parsed rc, size_t len,
				   struct dp_out *out)
{
	if (!k->family ||
	    (!service_for(dp, k->family, k->t.dst) && !src_count(dp, k->family, k->t.dst))) {
		dp->st.passed++;
		return DP_PASS;
	}
	dp->st.lan_in++;
	dp->st.lan_in_bytes += len;
	return drop(dp, out,
		    rc == PARSED_FRAGMENT     ? DP_DROP_FRAGMENT
		    : rc == PARSED_EXT_HEADER ? DP_DROP_EXT_HEADER
					      : DP_DROP_MALFORMED);
}

/* A new session for LAN packet k to service svc: its index, or -1 with
 * the reason in *why.  What one LAN host can make is bounded: TCP only
 * from a SYN, its share of the table, the table's size. */
static int lan_session(struct dp *dp, const struct service *svc, const struct pkt *k, uint64_t now,
		       enum dp_drop *why)
{
	struct crypto_seal_key pk;
	int slot = service_slot(dp, svc), si;
	uint16_t port;

	*why = DP_DROP_NO_KEY;
	if (slot < 0)
		return -1;
	if (k->proto == IPPROTO_TCP_ && !k->syn) {
		*why = DP_DROP_NOT_SYN;
		return -1;
	}
	if ((*why = sess_room(dp, &k->t)) != DP_DROP_N)
		return -1;
	*why = DP_DROP_NO_KEY;
	if (!peer_mkey(dp, slot))
		return -1;
	*why = DP_DROP_NO_PORT;
	if (port_alloc(dp, slot, &port) < 0) {
		crypto_wipe(&pk, sizeof(pk));
		return -1;
	}
	if (crypto_random(&pk, sizeof(pk)) < 0 ||
	    (si = sess_new(dp, &k->t, slot, port, &pk, now, true, true)) < 0) {
		crypto_wipe(&pk, sizeof(pk));
		port_free(dp, slot, port);
		return -1;
	}
	crypto_wipe(&pk, sizeof(pk));
	dp->s[si].ingress = true;
	crypto_random(dp->s[si].uuid, 16);
	snprintf(dp->s[si].service, sizeof(dp->s[si].service), "%s", svc->name);
	return si;
}

/* The session of LAN packet k, or -1; one whose peer left the
 * configuration ends with it. */
static int lan_lookup(struct dp *dp, const struct pkt *k, bool *reverse)
{
	int si = sess_find_flow(dp, &k->t, reverse);

	if (si >= 0 && !dp->peers[dp->s[si].peer].used) {
		sess_end(dp, si);
		si = -1;
	}
	return si;
}

enum dp_verdict dp_lan_in(struct dp *dp, const uint8_t *b, size_t len, uint64_t now,
			  struct dp_out *out)
{
	const struct service *svc = NULL;
	bool reverse = false;
	enum dp_drop why;
	struct pkt k;
	enum parsed rc = pkt_parse(b, len, &k);
	int si;

	out->extra_len = 0;
	if (rc != PARSED_OK)
		return not_carried(dp, &k, rc, len, out);
	si = lan_lookup(dp, &k, &reverse);
	if (si < 0 && !(svc = service_for(dp, k.family, k.t.dst))) {
		dp->st.passed++;
		return DP_PASS;
	}
	dp->st.lan_in++;
	dp->st.lan_in_bytes += len;
	if (si < 0) {
		if ((si = lan_session(dp, svc, &k, now, &why)) < 0)
			return drop(dp, out, why);
	} else if (reverse == dp->s[si].ingress) {
		/* The way the far router sends (from the far host, on our
		 * LAN): not a packet of this session, and sealed it would take
		 * the far router's direction (dir) and our sequence numbers,
		 * under the same key: the IVs of the far router's packets. */
		return drop(dp, out, DP_DROP_MALFORMED);
	}
	return send_wan(dp, si, &k, reverse, now, out);
}

/* ---- WAN to LAN ------------------------------------------------------------------ */

/* Whether packet b is SVR's: UDP from a peer's waypoint to ours, on a
 * waypoint port.  It fills w->k and w->peer. */
static bool wan_ours(const struct dp *dp, const uint8_t *b, size_t len, struct wan_pkt *w)
{
	if (pkt_parse(b, len, &w->k) != PARSED_OK || w->k.proto != IPPROTO_UDP_ ||
	    w->k.t.dport < DP_PORT_MIN || w->k.t.dport > DP_PORT_MAX)
		return false;
	w->peer = peer_find(dp, w->k.family, w->k.t.src, w->k.t.dst);
	return w->peer >= 0;
}

/* The datagram's metadata frame, if any: 0 (w->f, w->m's header and
 * w->mlen filled), 1 (none), -1 (malformed). */
static int wan_frame(struct wan_pkt *w)
{
	const char *err;
	int rc;

	w->port = w->k.t.dport;
	w->data = w->k.l4 + 8;
	w->dlen = w->k.l4len - 8;
	rc = svrmeta_session_header(w->data, w->dlen, &w->m, &w->f, &err);
	if (rc == 0) {
		w->mlen = w->f.hlen + w->f.plen;
		w->first = w->f.plen != 0;
	}
	return rc;
}

/* A first packet: its metadata opened with our key of the index it
 * names, and the session taken from it (dp_meta.c).  The session's
 * index, or -1 with why. */
static int wan_first(struct dp *dp, struct wan_pkt *w, uint64_t now, enum dp_drop *why)
{
	const struct crypto_seal_key *mk = keyring_own(dp->keys, w->m.key_index);
	const char *err;
	int si;

	if (!mk) {
		*why = DP_DROP_UNKNOWN_INDEX;
		return -1;
	}
	if (svrmeta_session_open(w->data, &w->f, mk, &w->m, &err) < 0) {
		*why = DP_DROP_BAD_METADATA;
		return -1;
	}
	si = meta_take_session(dp, w, now, why);
	crypto_wipe(w->m.wrapped_key, sizeof(w->m.wrapped_key));
	return si;
}

/* The checks before a packet of session si is used: its sequence number
 * not seen, and, when it brings another payload key, the key.
 * DP_DROP_N, or why not. */
static enum dp_drop wan_check(struct dp *dp, struct wan_pkt *w, int si, uint64_t now)
{
	if (!crypto_pkt_seq(w->data + w->mlen, w->dlen - w->mlen, &w->seq))
		return DP_DROP_MALFORMED;
	if (replay_check(&dp->s[si].rx, w->seq) != REPLAY_OK)
		return DP_DROP_REPLAY;
	/* the next payload key, taken only from a fresh packet that
	 * authenticates under it: a replayed old first packet cannot bring
	 * an old key back */
	if (w->rekey)
		return meta_take_key(dp, si, w, now);
	return DP_DROP_N;
}

/* The original packet of session s, n bytes of it opened at out->pkt +
 * the IP header + 8, with its addresses and ports restored: its length. */
static size_t restore(const struct sess *s, bool from_ingress, size_t n, struct dp_out *out)
{
	const uint8_t *src = from_ingress ? s->fwd.src : s->fwd.dst;
	const uint8_t *dst = from_ingress ? s->fwd.dst : s->fwd.src;
	uint16_t sp = from_ingress ? s->fwd.sport : s->fwd.dport;
	uint16_t dpt = from_ingress ? s->fwd.dport : s->fwd.sport;
	size_t hl = s->fwd.family == 4 ? 20 : 40;
	bool udp = s->fwd.proto == IPPROTO_UDP_;

	if (!udp) /* the whole message: one header fewer in front */
		memmove(out->pkt + hl, out->pkt + hl + 8, n);
	return pkt_build(out->pkt, s->fwd.family, src, dst, s->fwd.proto, 63, sp, dpt, udp, n);
}

/* A packet of session si for our LAN: opened with the session's key (or
 * the one before a rotation), the handshake moved on, delivered. */
static enum dp_verdict wan_deliver(struct dp *dp, const struct wan_pkt *w, int si, uint64_t now,
				   struct dp_out *out)
{
	struct sess *s = &dp->s[si];
	bool from_ingress = !s->ingress; /* we are the egress: it comes forward */
	uint8_t dir = from_ingress ? 0 : 1;
	size_t hl = s->fwd.family == 4 ? 20 : 40, cap = sizeof(out->pkt) - hl - 8;
	const uint8_t *sealed = w->data + w->mlen;
	size_t slen = w->dlen - w->mlen;
	ssize_t n =
		crypto_pkt_open(s->ck, dir, w->data, w->mlen, sealed, slen, out->pkt + hl + 8, cap);

	if (n == -1 && s->prev_ck) /* sent before the far end had the new key */
		n = crypto_pkt_open(s->prev_ck, dir, w->data, w->mlen, sealed, slen,
				    out->pkt + hl + 8, cap);
	if (n < 0)
		return drop(dp, out, DP_DROP_BAD_TAG);
	replay_update(&s->rx, w->seq);
	meta_handshake(dp, s, w, out);
	s->last_ms = now;
	s->pkts_in++;
	if (w->m.meta_only && n == 0)
		return DP_DONE;
	if (s->ingress)
		sess_answered(dp, s); /* the far host answered ours */
	out->len = restore(s, from_ingress, (size_t)n, out);
	dp->st.lan_out++;
	dp->st.lan_out_bytes += out->len;
	return DP_SEND;
}

/* An SVR datagram from peer w->peer, counted in. */
static enum dp_verdict wan_in(struct dp *dp, struct wan_pkt *w, uint64_t now, struct dp_out *out)
{
	enum dp_drop why = DP_DROP_NO_SESSION;
	int rc, si;

	if (w->k.t.sport != w->k.t.dport || !pkt_udp_ok(&w->k))
		return drop(dp, out, DP_DROP_MALFORMED);
	if ((rc = wan_frame(w)) < 0)
		return drop(dp, out, DP_DROP_BAD_METADATA);
	if (rc == 0 && w->m.retrigger)
		return meta_take_retrigger(dp, w, now, out);
	if (w->first)
		si = wan_first(dp, w, now, &why);
	else if ((si = sess_find_port(dp, w->peer, w->port)) < 0)
		/* we lost it (a restart, an expiry): ask for it again */
		meta_send_retrigger(dp, w->peer, w->port, now, out);
	if (si < 0)
		return drop(dp, out, why);
	if ((why = wan_check(dp, w, si, now)) != DP_DROP_N)
		return drop(dp, out, why);
	if (dp->s[si].transit)
		return relay(dp, si, w, now, out);
	return wan_deliver(dp, w, si, now, out);
}

enum dp_verdict dp_wan_in(struct dp *dp, const uint8_t *b, size_t len, uint64_t now,
			  struct dp_out *out)
{
	struct wan_pkt w;
	enum dp_verdict v;

	out->extra_len = 0;
	/* what the steps read before they set it (the rest of w is set
	 * before it is read; this runs for every packet) */
	memset(&w.m, 0, sizeof(w.m));
	w.mlen = 0;
	w.first = w.rekey = false;
	if (!wan_ours(dp, b, len, &w)) {
		dp->st.passed++;
		return DP_PASS;
	}
	dp->st.wan_in++;
	dp->st.wan_in_bytes += len;
	v = wan_in(dp, &w, now, out);
	if (w.first) /* only a first packet's metadata brings a payload key */
		crypto_wipe(&w.next_key, sizeof(w.next_key));
	return v;
}
