/* DOC: the datapath as a hub: sessions relayed WAN to WAN
 *
 * A router whose services send a session's destination to another peer
 * is a hub on the way.  It takes the session from the first packet's
 * metadata like any (dp_meta.c) and keeps it as two legs, one towards
 * each peer, each with its own waypoint port: the leg from the ingress
 * router is found by the port packets arrive on, and the other leg
 * leaves as if we were the ingress router of it.  The legs are mates:
 * they end together (sess_free), and a rotated payload key is taken for
 * both.
 *
 * The hub holds the session's payload key (it had to open the metadata
 * to know where the session goes) but never uses it to decrypt: it
 * checks each packet's tag and sequence number with it, so that a forged
 * or replayed packet goes no further, and sends the ciphertext on as it
 * came.  A first packet's metadata is sealed for the hub; it is opened
 * here and sealed again for the next router, keeping the ingress
 * router's clock (the egress router orders payload keys by it), and the
 * tag, which covers the metadata, is made again with the session's key.
 * A re-trigger from the next router is checked like any and passed back
 * as a re-trigger of our own towards the previous one. */
#include "config.h"

#include "dp_int.h"

/* The second leg of session si, towards slot next on next_port, with
 * payload key pk; si's index, or -1 when either leg could not be made
 * (both are gone then, and next_port is given back). */
int relay_legs(struct dp *dp, int si, int next, uint16_t next_port,
	       const struct crypto_seal_key *pk, uint64_t now)
{
	struct svr_ctx fwd;
	struct sess *x, *y;
	int b = -1;

	if (si >= 0) {
		fwd = dp->s[si].fwd; /* a copy: sess_new may move the table */
		b = sess_new(dp, &fwd, next, next_port, pk, now, false, false);
	}
	if (b < 0) {
		port_free(dp, next, next_port);
		if (si >= 0)
			sess_free(dp, si);
		return -1;
	}
	x = &dp->s[si];
	y = &dp->s[b]; /* it leaves us as from an ingress router */
	x->transit = y->transit = true;
	x->mate = b;
	y->mate = si;
	y->ingress = true;
	memcpy(y->uuid, x->uuid, 16);
	memcpy(y->service, x->service, sizeof(y->service));
	return si;
}

/* A re-trigger for leg s, taken (dp_meta.c): one of our own for its
 * other leg, towards the router before us. */
enum dp_verdict relay_retrigger(struct dp *dp, const struct sess *s, uint64_t now,
				struct dp_out *out)
{
	const struct sess *o = &dp->s[s->mate];
	const struct peer *pr = &dp->peers[o->peer];
	uint64_t *last = &dp->retrigger_ms[hash_port(dp, o->peer, o->port) & 1023];
	size_t mlen;

	/* meta_send_retrigger's limit holds for the requests we relay too:
	 * two on one port in the same millisecond carry the same clock, and
	 * the next router would drop the second as a replay of the first
	 * (which asked it the same and is on its way) */
	if (*last && now - *last < 200)
		return DP_DONE;
	mlen = meta_retrigger_frame(dp, o->peer, o->port, now, out->pkt + wan_hl(pr),
				    sizeof(out->pkt) - wan_hl(pr));
	if (!mlen)
		return drop(dp, out, DP_DROP_NO_KEY);
	*last = now;
	out->len = pkt_build_wan(out->pkt, pr, o->port, mlen);
	dp->st.relayed++;
	dp->st.wan_out++;
	dp->st.wan_out_bytes += out->len;
	return DP_SEND;
}

/* The key a packet of leg s was made with: the current one, or the one
 * before a rotation for a packet already on its way (its tag is made
 * again with the same key); NULL when neither authenticates it. */
static struct crypto_pkt_key *made_with(const struct sess *s, uint8_t dir, const struct wan_pkt *w)
{
	const uint8_t *sealed = w->data + w->mlen;
	size_t body = w->dlen - w->mlen;

	if (crypto_pkt_verify(s->ck, dir, w->data, w->mlen, sealed, body))
		return s->ck;
	if (s->prev_ck && crypto_pkt_verify(s->prev_ck, dir, w->data, w->mlen, sealed, body))
		return s->prev_ck;
	return NULL;
}

/* A packet of a session we relay: authenticated with the session's key
 * and checked for replay, but never decrypted; sent on to the other
 * leg's peer as it came, except that a first packet's metadata is
 * opened here and sealed again for the next router (the tag, over the
 * metadata, is made again; the ciphertext is the ingress router's). */
enum dp_verdict relay(struct dp *dp, int si, const struct wan_pkt *w, uint64_t now,
		      struct dp_out *out)
{
	struct sess *s = &dp->s[si], *o = &dp->s[dp->s[si].mate];
	const struct peer *pr = &dp->peers[o->peer];
	const struct svr_session_meta *m = w->first ? &w->m : NULL;
	uint8_t dir = s->ingress ? 1 : 0, *frame = out->pkt + wan_hl(pr);
	size_t body = w->dlen - w->mlen, nm = w->mlen;
	struct crypto_pkt_key *used = made_with(s, dir, w);
	enum dp_drop why;

	if (!used)
		return drop(dp, out, DP_DROP_BAD_TAG);
	replay_update(&s->rx, w->seq);
	if (m && !dir) {
		/* the ingress router's clock, kept: the egress router orders
		 * payload keys by it */
		nm = meta_first(dp, o, m->src_router, m->tcp_syn, m->meta_only, m->time_ms, frame,
				&why);
		if (!nm)
			return drop(dp, out, why);
	} else {
		memcpy(frame, w->data, w->mlen);
	}
	if (wan_hl(pr) + nm + body > DP_MAX_PKT)
		return drop(dp, out, DP_DROP_MALFORMED);
	memcpy(frame + nm, w->data + w->mlen, body);
	if (m && !dir)
		(void)crypto_pkt_retag(used, dir, frame, nm, frame + nm, body);
	out->len = pkt_build_wan(out->pkt, pr, o->port, nm + body);
	if (dir && !(w->mlen && w->m.meta_only)) { /* the far host answered */
		sess_answered(dp, s);
		sess_answered(dp, o);
	}
	s->last_ms = o->last_ms = now;
	s->pkts_in++;
	o->pkts_out++;
	dp->st.relayed++;
	dp->st.wan_out++;
	dp->st.wan_out_bytes += out->len;
	return DP_SEND;
}
