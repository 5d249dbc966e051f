/* DOC: BFD (RFC 5880, asynchronous mode), sans-I/O
 *
 * One session per peer path.  The caller gives it received control
 * packets and the time; it says what to send and when, and whether the
 * path is up.  Defaults are SVR's: 1000 ms transmit, 500 ms minimum
 * receive, detection multiplier 3; transmissions are jittered to 75-100%
 * of the interval (RFC 5880 6.8.7) from a seed the caller provides, so
 * tests are repeatable.
 */
#ifndef SVR_BFD_H
#define SVR_BFD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BFD_PORT     1280
#define BFD_CTRL_LEN 24

enum bfd_state { BFD_ADMIN_DOWN = 0, BFD_DOWN = 1, BFD_INIT = 2, BFD_UP = 3 };

struct bfd_session {
	enum bfd_state state;
	uint32_t local_disc, remote_disc;
	uint32_t tx_us, rx_us; /* desired min tx, required min rx */
	uint8_t mult;
	uint32_t remote_rx_us, remote_tx_us;
	uint8_t remote_mult;
	enum bfd_state remote_state;
	uint64_t next_tx_ms;
	uint64_t detect_deadline_ms; /* 0: not running */
	uint32_t rng;
	uint64_t up_since_ms;
	uint64_t dropped;
};

void bfd_init(struct bfd_session *s, uint32_t local_disc, uint32_t seed, uint64_t now_ms);
/* Parse and apply a control packet; false (and counted) when invalid. */
bool bfd_input(struct bfd_session *s, const uint8_t *pkt, size_t len, uint64_t now_ms);
/* Due: true when a packet must be sent now (written to out, 24 bytes). */
bool bfd_tick(struct bfd_session *s, uint64_t now_ms, uint8_t out[BFD_CTRL_LEN]);
/* Hold the session administratively down (RFC 5880 6.8.16: the peer sees
 * AdminDown and takes its end down too) or release it to Down, from where
 * it comes up as usual.  Packets keep going out once a second, so what
 * rides on them (the key exchange) still flows. */
void bfd_set_admin_down(struct bfd_session *s, bool down, uint64_t now_ms);
/* When bfd_tick next has something to do: the next transmission, or the
 * detection time running out (the path goes down).  Before it bfd_tick
 * does nothing.  bfd_input and bfd_set_admin_down may change it. */
uint64_t bfd_next_deadline(const struct bfd_session *s);
void bfd_encode(const struct bfd_session *s, uint8_t out[BFD_CTRL_LEN]);
uint64_t bfd_detection_ms(const struct bfd_session *s);

#endif
