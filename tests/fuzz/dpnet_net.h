/* The harness of the datapath network fuzz target (fuzz_dpnet.c, whose
 * comment says what it does and checks): spoke1 - hub - spoke2, each a
 * datapath with real keys (tests/dpharness.h); the program reader; the
 * packets the harness builds; the wires that carry what a router sent to
 * the router it is addressed to, with the checks on each hand-over. */
#ifndef SVR_DPNET_NET_H
#define SVR_DPNET_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "datapath.h"
#include "dpharness.h"

#define NR   3 /* spoke1, hub, spoke2 */
#define NKEY 4 /* payload keys a keyed peer may use */

extern struct dph_keys rk[NR];
extern struct crypto_seal_key pkey[NKEY];
extern struct crypto_pkt_key *ppk[NKEY];
extern struct dp *R[NR];
extern uint64_t now;

/* who is who: the waypoint addresses, per router and peer number */
struct dpnet_peer {
	int router; /* the router at the far end */
	const char *theirs, *ours;
};
extern const char *const names[NR];
extern const struct dpnet_peer peers[NR][2];
extern const int npeers[NR];

/* the last thing each router sent, to carry on */
struct mail {
	uint8_t pkt[DP_MAX_PKT + 512], extra[DP_EXTRA_MAX];
	size_t len, extra_len;
	/* made before a router restarted: the session it belongs to may be
	 * gone where it goes, and its port given to a new one there, whose
	 * replay window it may well fall behind */
	bool stale, extra_stale;
	/* the session it was made in: the sender's on its port towards the
	 * router it goes to (none for a re-trigger request from a router that
	 * lost the session) */
	uint8_t uuid[16], extra_uuid[16];
	bool in_session, extra_in_session;
};
extern struct mail box[NR];
/* a keyed peer spoke: it holds payload keys, and may have sent any
 * sequence number under them */
extern bool forged;
/* re-trigger requests the harness sealed that a router took (dpnet_net.c) */
struct dpnet_taken {
	int router;
	uint16_t port;
	uint64_t ms;
};
extern struct dpnet_taken taken[64];
extern int ntaken;

/* the program: operations read from the input, zeros past its end */
struct rd {
	const uint8_t *p;
	size_t n;
};

uint8_t g8(struct rd *r);
uint16_t g16(struct rd *r);
void gbytes(struct rd *r, uint8_t *b, size_t n);

void put16(uint8_t *p, uint16_t v);
size_t ip_wrap(uint8_t *b, int family, const uint8_t *src, const uint8_t *dst, uint8_t proto,
	       size_t l4len);
void addr_of(const char *text, int *family, uint8_t a[16]);

void init_once(void);
struct dp *router_new(int i);
void network_new(void);
void network_free(void);
enum dp_verdict wan_in(int r, const uint8_t *p, size_t len);
void lan_in(int r, const uint8_t *p, size_t len);
void carry(struct rd *rd, int r, bool extra, int depth);

#endif
