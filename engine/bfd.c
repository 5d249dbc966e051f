/* BFD asynchronous mode; see bfd.h.  Section numbers are RFC 5880's. */
#include "config.h"

#include <string.h>

#include "bfd.h"

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void bfd_init(struct bfd_session *s, uint32_t local_disc, uint32_t seed, uint64_t now_ms)
{
	memset(s, 0, sizeof(*s));
	s->state = BFD_DOWN;
	s->local_disc = local_disc ? local_disc : 1;
	s->tx_us = 1000000;
	s->rx_us = 500000;
	s->mult = 3;
	s->rng = seed ? seed : 0x9e3779b9u;
	s->next_tx_ms = now_ms;
	s->remote_state = BFD_DOWN;
}

void bfd_encode(const struct bfd_session *s, uint8_t out[BFD_CTRL_LEN])
{
	/* 4.1: version 1; diag 7 (administratively down) when held down, else
	 * 0; state; flags 0 (no poll/final, no auth) */
	out[0] = (uint8_t)(1 << 5 | (s->state == BFD_ADMIN_DOWN ? 7 : 0));
	out[1] = (uint8_t)(s->state << 6);
	out[2] = s->mult;
	out[3] = BFD_CTRL_LEN;
	put32(out + 4, s->local_disc);
	put32(out + 8, s->remote_disc);
	/* 6.8.3: while not up, transmit no faster than once a second */
	put32(out + 12, s->state == BFD_UP ? s->tx_us : (s->tx_us > 1000000 ? s->tx_us : 1000000));
	put32(out + 16, s->rx_us);
	put32(out + 20, 0); /* no echo */
}

uint64_t bfd_detection_ms(const struct bfd_session *s)
{
	/* 6.8.4: remote multiplier times the agreed remote transmit interval */
	uint32_t iv = s->remote_tx_us > s->rx_us ? s->remote_tx_us : s->rx_us;

	return (uint64_t)(s->remote_mult ? s->remote_mult : s->mult) * iv / 1000;
}

static void go(struct bfd_session *s, enum bfd_state st, uint64_t now)
{
	if (st == BFD_UP && s->state != BFD_UP)
		s->up_since_ms = now;
	if (st != BFD_UP && st != BFD_INIT)
		s->remote_disc = 0;
	s->state = st;
}

bool bfd_input(struct bfd_session *s, const uint8_t *p, size_t len, uint64_t now)
{
	uint8_t vers, mult, plen;
	enum bfd_state st;
	uint32_t your;

	/* 6.8.6: the reception checks */
	if (len < BFD_CTRL_LEN)
		goto drop;
	vers = p[0] >> 5;
	st = (enum bfd_state)(p[1] >> 6);
	mult = p[2];
	plen = p[3];
	your = get32(p + 8);
	if (vers != 1 || plen < BFD_CTRL_LEN || plen > len || mult == 0 || (p[1] & 0x01) ||
	    get32(p + 4) == 0 || (p[1] & 0x04) /* authentication: not used */)
		goto drop;
	if (your == 0 && st != BFD_DOWN && st != BFD_ADMIN_DOWN)
		goto drop;
	if (your != 0 && your != s->local_disc)
		goto drop;
	s->remote_disc = get32(p + 4);
	s->remote_state = st;
	s->remote_mult = mult;
	s->remote_tx_us = get32(p + 12);
	s->remote_rx_us = get32(p + 16);
	if (s->state == BFD_ADMIN_DOWN)
		return true;
	if (st == BFD_ADMIN_DOWN) {
		if (s->state != BFD_DOWN)
			go(s, BFD_DOWN, now);
	} else if (s->state == BFD_DOWN) {
		if (st == BFD_DOWN)
			go(s, BFD_INIT, now);
		else if (st == BFD_INIT)
			go(s, BFD_UP, now);
	} else if (s->state == BFD_INIT) {
		if (st == BFD_INIT || st == BFD_UP)
			go(s, BFD_UP, now);
	} else if (st == BFD_DOWN) { /* up */
		go(s, BFD_DOWN, now);
	}
	s->remote_disc = get32(p + 4);
	s->detect_deadline_ms = now + bfd_detection_ms(s);
	return true;
drop:
	s->dropped++;
	return false;
}

static uint32_t next_rand(struct bfd_session *s)
{
	/* xorshift32: jitter only, no secrecy needed */
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 17;
	s->rng ^= s->rng << 5;
	return s->rng;
}

bool bfd_tick(struct bfd_session *s, uint64_t now, uint8_t out[BFD_CTRL_LEN])
{
	uint32_t iv_us;

	if (s->detect_deadline_ms && now >= s->detect_deadline_ms) {
		/* 6.8.4: detection time passed without a packet */
		s->detect_deadline_ms = 0;
		if (s->state == BFD_UP || s->state == BFD_INIT)
			go(s, BFD_DOWN, now);
	}
	if (now < s->next_tx_ms)
		return false;
	/* 6.8.7: the larger of our desired tx and the peer's required rx,
	 * less 0-25% jitter */
	iv_us = s->tx_us > s->remote_rx_us ? s->tx_us : s->remote_rx_us;
	if (s->state != BFD_UP && iv_us < 1000000)
		iv_us = 1000000;
	s->next_tx_ms = now + (uint64_t)iv_us * (75 + next_rand(s) % 26) / 100 / 1000;
	bfd_encode(s, out);
	return true;
}

void bfd_set_admin_down(struct bfd_session *s, bool down, uint64_t now)
{
	if (down && s->state != BFD_ADMIN_DOWN) {
		go(s, BFD_ADMIN_DOWN, now);
		s->detect_deadline_ms = 0;
		s->next_tx_ms = now; /* tell the peer at once */
	} else if (!down && s->state == BFD_ADMIN_DOWN) {
		go(s, BFD_DOWN, now);
		s->next_tx_ms = now;
	}
}

uint64_t bfd_next_deadline(const struct bfd_session *s)
{
	if (s->detect_deadline_ms && s->detect_deadline_ms < s->next_tx_ms)
		return s->detect_deadline_ms;
	return s->next_tx_ms;
}
