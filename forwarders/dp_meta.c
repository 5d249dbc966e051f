/* DOC: the datapath's metadata handshake
 *
 * The first packets of a session carry SVR metadata (doc/protocol.md,
 * "Session metadata"): everything the next router needs to make the
 * session, the payload key wrapped for it (TLV 46), the whole sealed with
 * its metadata key.  The ingress router adds it until the egress router
 * answers "I have the session" (TLV NO_FWD_META) under the session's own
 * key; the egress router answers every first packet at once, whatever its
 * LAN host does, so a one-way flow stops carrying metadata too.  A first
 * packet too large for the path with its metadata sends the metadata
 * ahead in a packet of its own (META_ONLY).
 *
 * The far end takes a session from metadata only when it opens under
 * one of our metadata keys, its clock is within META_WINDOW_MS of ours,
 * the port is of the far end's half and the destination is ours to
 * deliver or to relay.  Metadata again for a session we have is either a
 * retransmission (nothing changes) or a rotated payload key, taken only
 * from a newer packet that authenticates under the new key, so a replayed
 * old first packet cannot bring an old key back.
 *
 * A router that lost a session (a restart, an expiry) asks the far end
 * for its metadata again (a re-trigger), at most every 200 ms per port.
 * The request is sealed with the far end's metadata key and names the
 * port and us, and is taken only when newer than the last: a forged or
 * replayed one does nothing. */
#include "config.h"

#include <stdio.h>

#include "dp_int.h"

/* The metadata of session s's first packets, for its peer: everything the
 * next router needs, the payload key wrapped for it, the whole sealed
 * with its metadata key.  Its length, or 0 with why. */
size_t meta_first(struct dp *dp, const struct sess *s, const char *src_router, bool syn,
		  bool meta_only, uint64_t time_ms, uint8_t *frame, enum dp_drop *why)
{
	struct svr_session_meta m;
	const struct kex_mkey *mk = peer_mkey(dp, s->peer);
	size_t mlen;
	ssize_t w;

	memset(&m, 0, sizeof(m));
	*why = DP_DROP_NO_KEY;
	if (!mk)
		return 0;
	m.key_index = mk->index;
	m.time_ms = time_ms;
	m.fwd = s->fwd;
	memcpy(m.uuid, s->uuid, 16);
	snprintf(m.service, sizeof(m.service), "%s", s->service);
	snprintf(m.src_router, sizeof(m.src_router), "%s", src_router);
	snprintf(m.dst_router, sizeof(m.dst_router), "%s", dp->peers[s->peer].name);
	m.encrypted = true;
	m.tcp_syn = syn;
	m.meta_only = meta_only;
	w = keyring_wrap_with(mk, (const uint8_t *)&s->pk, sizeof(s->pk), m.wrapped_key,
			      sizeof(m.wrapped_key));
	if (w < 0)
		return 0;
	m.wrapped_len = (size_t)w;
	mlen = svrmeta_session_encode(&m, &mk->key, frame, 1024);
	crypto_wipe(&m, sizeof(m));
	*why = DP_DROP_MALFORMED;
	return mlen;
}

/* A packet of session s with no payload of its own, only the metadata
 * frame already written at out->extra + wan_hl (mlen bytes): sealed like
 * any (an empty payload, the frame as aad) and put in out->extra. */
int meta_send_extra(struct dp *dp, struct sess *s, uint8_t dir, size_t mlen, struct dp_out *out)
{
	const struct peer *pr = &dp->peers[s->peer];
	size_t hl = wan_hl(pr);
	uint8_t *frame = out->extra + hl;
	uint64_t seq = sess_next_seq(dp, s);
	ssize_t n = seq ? crypto_pkt_seal(s->ck, dir, seq, frame, mlen, (const uint8_t *)"", 0,
					  frame + mlen, sizeof(out->extra) - hl - mlen)
			: -1;

	if (n < 0)
		return -1;
	out->extra_len = pkt_build_wan(out->extra, pr, s->port, mlen + (size_t)n);
	dp->st.wan_out++;
	dp->st.wan_out_bytes += out->extra_len;
	return 0;
}

/* The metadata of a first packet of session s (ours: we are its ingress
 * router) at frame, its length in *mlen; 0 when, with it, the packet
 * (sealed_len bytes more) would not fit the path, and it went ahead on
 * its own in out->extra.  DP_DROP_N, or why not. */
enum dp_drop meta_for_first(struct dp *dp, struct sess *s, bool syn, size_t sealed_len,
			    uint64_t now, uint8_t *frame, size_t *mlen, struct dp_out *out)
{
	const struct peer *pr = &dp->peers[s->peer];
	size_t hl = wan_hl(pr), am;
	enum dp_drop why;

	*mlen = meta_first(dp, s, dp->router, syn, false, wall(dp, now), frame, &why);
	if (!*mlen)
		return why;
	if (hl + *mlen + sealed_len <= pr->mtu)
		return DP_DROP_N;
	am = meta_first(dp, s, dp->router, syn, true, wall(dp, now), out->extra + hl, &why);
	if (!am || meta_send_extra(dp, s, 0, am, out) < 0)
		return am ? DP_DROP_MALFORMED : why;
	*mlen = 0;
	return DP_DROP_N;
}

/* The egress router's "I have it, stop the metadata" at frame: its
 * length. */
size_t meta_have_it(uint8_t *frame)
{
	struct svrmeta_writer w;

	svrmeta_begin(&w, frame, 64);
	svrmeta_put(&w, SVRMETA_TLV_NO_FWD_META, NULL, 0);
	return svrmeta_finish(&w);
}

/* The egress router's answer to a first packet, sent at once whatever
 * the LAN host does: a flow that never answers (a one-way UDP stream)
 * would otherwise carry metadata on every packet. */
static void send_ack(struct dp *dp, struct sess *s, struct dp_out *out)
{
	struct svrmeta_writer w;

	svrmeta_begin(&w, out->extra + wan_hl(&dp->peers[s->peer]), 64);
	svrmeta_put(&w, SVRMETA_TLV_NO_FWD_META, NULL, 0);
	svrmeta_put(&w, SVRMETA_TLV_META_ONLY, NULL, 0);
	(void)meta_send_extra(dp, s, 1, svrmeta_finish(&w), out);
}

/* What a packet of session s from the far end, opened, says of the
 * handshake. */
void meta_handshake(struct dp *dp, struct sess *s, const struct wan_pkt *w, struct dp_out *out)
{
	if (s->ingress && w->mlen && w->m.no_fwd_meta)
		s->acked = true; /* the egress router has the session */
	if (!s->ingress && !w->mlen)
		s->acked = true; /* the ingress router stopped sending metadata */
	if (!s->ingress && w->first) {
		s->acked = false; /* it has not heard us yet: answer, and keep answering */
		send_ack(dp, s, out);
	}
}

/* ---- re-triggers ------------------------------------------------------------------- */

/* The sealed part of a re-trigger request: what it says, and who to. */
#define RETRIGGER_TAG	  "opensvr retrigger v1"
#define RETRIGGER_TAG_LEN (sizeof(RETRIGGER_TAG)) /* with its NUL */

/* The header of a re-trigger frame: TLVs 16 (the peer's metadata key
 * index), 0xF002 (our clock) and 0xF004.  Its length. */
static size_t retrigger_header(uint8_t *frame, size_t cap, uint32_t index, uint64_t t)
{
	struct svrmeta_writer w;
	uint8_t tb[8];

	for (int i = 0; i < 8; i++)
		tb[i] = (uint8_t)(t >> (56 - 8 * i));
	svrmeta_begin(&w, frame, cap);
	svrmeta_put_u32(&w, SVRMETA_TLV_KEY_INDEX, index);
	svrmeta_put(&w, SVRMETA_TLV_TIME, tb, 8);
	svrmeta_put(&w, SVRMETA_TLV_RETRIGGER, NULL, 0);
	return svrmeta_finish(&w);
}

/* A re-trigger frame for port of slot peer at frame (cap bytes): the
 * header, then a payload section sealed with the peer's metadata key (the
 * header as associated data) holding RETRIGGER_TAG, the port and our
 * name.  Its length, or 0 (no metadata key for the peer yet). */
size_t meta_retrigger_frame(struct dp *dp, int peer, uint16_t port, uint64_t now, uint8_t *frame,
			    size_t cap)
{
	uint8_t pt[RETRIGGER_TAG_LEN + 2 + 64];
	size_t nlen = strlen(dp->router), ptlen = RETRIGGER_TAG_LEN + 2 + nlen, hlen, plen;
	const struct kex_mkey *mk = peer_mkey(dp, peer);
	ssize_t n = -1;

	if (!mk)
		return 0;
	hlen = retrigger_header(frame, cap, mk->index, wall(dp, now));
	plen = crypto_sealed_len(ptlen);
	memcpy(pt, RETRIGGER_TAG, RETRIGGER_TAG_LEN);
	put16(pt + RETRIGGER_TAG_LEN, port);
	memcpy(pt + RETRIGGER_TAG_LEN + 2, dp->router, nlen);
	if (hlen && hlen + plen <= cap) {
		put16(frame + 10, (uint16_t)plen);
		n = crypto_seal(&mk->key, frame, hlen, pt, ptlen, frame + hlen, cap - hlen);
	}
	return n == (ssize_t)plen ? hlen + plen : 0;
}

/* "I have no session on this port: send its metadata again", to the
 * peer that sent us a packet of it; at most every 200 ms per port. */
void meta_send_retrigger(struct dp *dp, int peer, uint16_t port, uint64_t now, struct dp_out *out)
{
	const struct peer *pr = &dp->peers[peer];
	uint64_t *last = &dp->retrigger_ms[hash_port(dp, peer, port) & 1023];
	size_t mlen;

	if (*last && now - *last < 200)
		return;
	mlen = meta_retrigger_frame(dp, peer, port, now, out->extra + wan_hl(pr),
				    sizeof(out->extra) - wan_hl(pr));
	if (!mlen)
		return;
	*last = now;
	out->extra_len = pkt_build_wan(out->extra, pr, port, mlen);
	dp->st.wan_out++;
	dp->st.wan_out_bytes += out->extra_len;
}

/* Is the re-trigger frame of w one that the router it came from made for
 * its port, sealed with our metadata key and fresh? */
static bool retrigger_ok(struct dp *dp, const struct wan_pkt *w, uint64_t now)
{
	uint8_t pt[RETRIGGER_TAG_LEN + 2 + 64 + CRYPTO_AES_BLOCK];
	const char *name = dp->peers[w->peer].name;
	size_t nlen = strlen(name);
	const struct crypto_seal_key *mk = keyring_own(dp->keys, w->m.key_index);
	ssize_t n;

	if (!w->f.plen || !fresh(dp, w->m.time_ms, now) || !mk)
		return false;
	n = crypto_open(mk, w->data, w->f.hlen, w->data + w->f.hlen, w->f.plen, pt, sizeof(pt));
	return n == (ssize_t)(RETRIGGER_TAG_LEN + 2 + nlen) &&
	       !memcmp(pt, RETRIGGER_TAG, RETRIGGER_TAG_LEN) &&
	       get16(pt + RETRIGGER_TAG_LEN) == w->port &&
	       !memcmp(pt + RETRIGGER_TAG_LEN + 2, name, nlen);
}

/* A re-trigger from a peer (see meta_send_retrigger): taken only when it
 * authenticates under our metadata key, names the peer it came from and
 * this port, and is newer than the last one taken for the session (a
 * replayed one does nothing).  Then the ingress router adds metadata
 * again, which the far end must acknowledge under the session's key; a
 * hub checks it the same way and makes its own for the next router. */
enum dp_verdict meta_take_retrigger(struct dp *dp, const struct wan_pkt *w, uint64_t now,
				    struct dp_out *out)
{
	int si = sess_find_port(dp, w->peer, w->port);
	struct sess *s;

	if (si < 0)
		return drop(dp, out, DP_DROP_NO_SESSION);
	if (!retrigger_ok(dp, w, now))
		return drop(dp, out, DP_DROP_BAD_METADATA);
	s = &dp->s[si];
	if (w->m.time_ms <= s->retrigger_ms)
		return drop(dp, out, DP_DROP_REPLAY);
	s->retrigger_ms = w->m.time_ms;
	if (s->transit)
		return relay_retrigger(dp, s, now, out);
	if (s->ingress && s->acked) {
		s->acked = false;
		dp->st.retriggered++;
	}
	return DP_DONE;
}

/* ---- taking a session from metadata ---------------------------------------------------- */

/* The payload key TLV 46 carries, opened: 0, or -1. */
static int unwrap_key(struct dp *dp, const struct svr_session_meta *m, struct crypto_seal_key *pk)
{
	uint8_t raw[sizeof(*pk) + 2 * CRYPTO_AES_BLOCK]; /* room for the padding */
	ssize_t n = keyring_unwrap(dp->keys, m->wrapped_key, m->wrapped_len, raw, sizeof(raw));

	memcpy(pk, raw, sizeof(*pk));
	crypto_wipe(raw, sizeof(raw));
	if (n == (ssize_t)sizeof(*pk))
		return 0;
	crypto_wipe(pk, sizeof(*pk));
	return -1;
}

/* Where a new session from metadata m goes: *next is -1 when it is ours
 * to deliver (a LAN of ours, a service we serve), or the slot of the
 * peer a hub relays it to.  DP_DROP_N, or why it is refused. */
static enum dp_drop destination(const struct dp *dp, const struct wan_pkt *w, uint64_t now,
				int *next)
{
	const struct svr_session_meta *m = &w->m;
	const struct service *svc;

	if (!fresh(dp, m->time_ms, now))
		return DP_DROP_STALE;
	if (m->fwd.family != 4 && m->fwd.family != 6)
		return DP_DROP_BAD_METADATA;
	/* A destination we route to another peer: we are a hub on the way,
	 * and the session has a second leg towards that peer.  Otherwise it
	 * must be ours to deliver: a LAN of ours, a service we serve. */
	svc = service_for(dp, m->fwd.family, m->fwd.dst);
	*next = svc ? service_slot(dp, svc) : -1;
	if (*next == w->peer)
		*next = -1;
	if (*next < 0 && !is_local(dp, m->fwd.family, m->fwd.dst))
		return DP_DROP_FOREIGN;
	return DP_DROP_N;
}

/* What a new session needs besides its slot: a sequence epoch when we
 * deliver it (*tx), a waypoint port towards the next router when we
 * relay it (*next_port).  DP_DROP_N, or why not. */
static enum dp_drop numbers(struct dp *dp, const struct wan_pkt *w, int next, uint64_t *tx,
			    uint16_t *next_port)
{
	enum dp_drop why = sess_room(dp, &w->m.fwd);

	/* The payload key is the ingress router's and outlives this session
	 * when we lose it (a restart, an expiry) and rebuild it from metadata
	 * sent again: our sequence numbers must not start over under it (the
	 * IVs would repeat, and the far end's replay window would drop what we
	 * send), so they start from a new epoch, above any we used before
	 * whatever the clock says.  A hub seals nothing of its own. */
	if (why == DP_DROP_N && next < 0 && !(*tx = take_epoch(dp)))
		why = DP_DROP_NO_EPOCH;
	if (why == DP_DROP_N && next >= 0 && port_alloc(dp, next, next_port) < 0)
		why = DP_DROP_NO_PORT;
	return why;
}

/* A session from metadata w->m, its payload key pk: its index, or -1. */
static int new_session(struct dp *dp, const struct wan_pkt *w, const struct crypto_seal_key *pk,
		       int next, uint64_t now, enum dp_drop *why)
{
	const struct svr_session_meta *m = &w->m;
	uint16_t next_port = 0;
	uint64_t tx = 0;
	int si;

	if ((*why = numbers(dp, w, next, &tx, &next_port)) != DP_DROP_N)
		return -1;
	si = sess_new(dp, &m->fwd, w->peer, w->port, pk, now, next < 0, true);
	if (si >= 0) {
		struct sess *s = &dp->s[si];

		memcpy(s->uuid, m->uuid, 16);
		snprintf(s->service, sizeof(s->service), "%s", m->service);
		s->key_meta_ms = m->time_ms;
		s->tx_seq = tx;
	}
	if (next >= 0) /* the leg towards the next router */
		si = relay_legs(dp, si, next, next_port, pk, now);
	if (si < 0)
		*why = DP_DROP_NO_PORT;
	return si;
}

/* A first packet for a session we do not have (or a new one on its
 * port): its index, or -1 with why.  For one we have, w->rekey says
 * whether it brings another payload key (in w->next_key): the ingress
 * router rotated it. */
int meta_take_session(struct dp *dp, struct wan_pkt *w, uint64_t now, enum dp_drop *why)
{
	const struct svr_session_meta *m = &w->m;
	struct crypto_seal_key pk;
	int si, next = -1;

	w->rekey = false;
	if ((w->port & 1u) == dp->peers[w->peer].parity) {
		*why = DP_DROP_BAD_METADATA; /* our half of the ports: not theirs to open */
		return -1;
	}
	si = sess_find_port(dp, w->peer, w->port);
	if (si >= 0 && !memcmp(dp->s[si].uuid, m->uuid, 16)) {
		/* a first packet again: we have it, perhaps not its key */
		w->rekey = m->time_ms > dp->s[si].key_meta_ms &&
			   unwrap_key(dp, m, &w->next_key) == 0 &&
			   !crypto_equal((const uint8_t *)&w->next_key,
					 (const uint8_t *)&dp->s[si].pk, sizeof(w->next_key));
		return si;
	}
	if ((*why = destination(dp, w, now, &next)) != DP_DROP_N)
		return -1;
	if (unwrap_key(dp, m, &pk) < 0) {
		*why = DP_DROP_UNKNOWN_INDEX;
		return -1;
	}
	if (si >= 0)
		sess_free(dp, si); /* the port went to a new session at the far end */
	si = new_session(dp, w, &pk, next, now, why);
	crypto_wipe(&pk, sizeof(pk));
	return si;
}

/* A first packet of session si with another payload key (w->next_key):
 * taken, for both legs at a hub, when the packet is fresh and
 * authenticates under it.  DP_DROP_N when taken. */
enum dp_drop meta_take_key(struct dp *dp, int si, const struct wan_pkt *w, uint64_t now)
{
	const struct crypto_seal_key *pk = &w->next_key;
	int mate = dp->s[si].transit ? dp->s[si].mate : -1;
	struct crypto_pkt_key *nk;
	bool ok;

	if (!fresh(dp, w->m.time_ms, now))
		return DP_DROP_STALE;
	nk = crypto_pkt_key_new(pk);
	ok = nk && crypto_pkt_verify(nk, dp->s[si].ingress ? 1 : 0, w->data, w->mlen,
				     w->data + w->mlen, w->dlen - w->mlen);
	crypto_pkt_key_free(nk);
	if (!ok)
		return DP_DROP_BAD_TAG;
	if (sess_rekey(dp, si, pk, now) < 0 || (mate >= 0 && sess_rekey(dp, mate, pk, now) < 0))
		return DP_DROP_NO_PORT;
	dp->s[si].key_meta_ms = w->m.time_ms;
	return DP_DROP_N;
}
