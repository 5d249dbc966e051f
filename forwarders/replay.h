/* DOC: the replay window of a session direction (RFC 6479)
 *
 * A bitmap of REPLAY_WORDS 64-bit words, used as a ring: the highest
 * sequence number seen so far, and one bit for each of the
 * REPLAY_WINDOW numbers below it.  Moving the window forward clears only
 * the words it passes over (at most the whole ring), so a jump costs
 * O(words) once and an in-order packet O(1).  The window is 16320
 * numbers wide (the issue asks for at least 8192): a 10 Gbit/s burst of
 * small packets reordered by a multipath WAN stays inside it.
 *
 * Sequence numbers start at 1; 0 is never valid.  Check before the tag is
 * computed (cheap rejection of replays), update only after it verified
 * (a forged number must not move the window).
 */
#ifndef SVR_REPLAY_H
#define SVR_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#define REPLAY_WORDS  256 /* a power of two */
#define REPLAY_WINDOW ((REPLAY_WORDS - 1) * 64)

struct replay {
	uint64_t top; /* highest number accepted; 0: none yet */
	uint64_t bits[REPLAY_WORDS];
};

enum replay_verdict { REPLAY_OK, REPLAY_DUPLICATE, REPLAY_TOO_OLD, REPLAY_ZERO };

void replay_init(struct replay *r);
/* Would seq be accepted?  Changes nothing. */
enum replay_verdict replay_check(const struct replay *r, uint64_t seq);
/* Record seq as received (after its tag verified); same verdict. */
enum replay_verdict replay_update(struct replay *r, uint64_t seq);
const char *replay_verdict_name(enum replay_verdict v);

#endif
