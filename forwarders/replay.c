/* The replay window; see replay.h. */
#include "config.h"

#include <string.h>

#include "replay.h"

#define WORD(seq) (((seq) >> 6) & (REPLAY_WORDS - 1))
#define BIT(seq)  ((uint64_t)1 << ((seq)&63))

void replay_init(struct replay *r)
{
	memset(r, 0, sizeof(*r));
}

enum replay_verdict replay_check(const struct replay *r, uint64_t seq)
{
	if (seq == 0)
		return REPLAY_ZERO;
	if (seq > r->top)
		return REPLAY_OK;
	if (r->top - seq >= REPLAY_WINDOW)
		return REPLAY_TOO_OLD;
	return r->bits[WORD(seq)] & BIT(seq) ? REPLAY_DUPLICATE : REPLAY_OK;
}

enum replay_verdict replay_update(struct replay *r, uint64_t seq)
{
	enum replay_verdict v = replay_check(r, seq);

	if (v != REPLAY_OK)
		return v;
	if (seq > r->top) {
		uint64_t from = r->top >> 6, to = seq >> 6;

		/* clear the words the window moves over (all of them, at most) */
		if (to - from >= REPLAY_WORDS)
			memset(r->bits, 0, sizeof(r->bits));
		else
			for (uint64_t w = from + 1; w <= to; w++)
				r->bits[w & (REPLAY_WORDS - 1)] = 0;
		r->top = seq;
	}
	r->bits[WORD(seq)] |= BIT(seq);
	return REPLAY_OK;
}

const char *replay_verdict_name(enum replay_verdict v)
{
	switch (v) {
	case REPLAY_OK:
		return "ok";
	case REPLAY_DUPLICATE:
		return "duplicate";
	case REPLAY_TOO_OLD:
		return "too old";
	case REPLAY_ZERO:
		return "zero";
	}
	return "?";
}
