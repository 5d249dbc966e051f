/* Benchmark: session packets protected and opened per second on one core
 * (engine/crypto_pkt.c and the replay window, as the datapath runs them),
 * at a payload size.  bench/pkt-crypto.sh compares the figures with
 * `openssl speed` for the same algorithms in the same run.
 *
 * usage: pkt-bench BYTES [SECONDS]
 * prints: BYTES seal_pps open_pps
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "replay.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static uint8_t pt[9000], pkt[9100], back[9100];
	size_t bytes = argc > 1 ? (size_t)atoi(argv[1]) : 0;
	double secs = argc > 2 ? atof(argv[2]) : 1.0, t0, seal_s, open_s;
	struct crypto_seal_key sk;
	struct crypto_pkt_key *k;
	static struct replay r;
	uint64_t n = 0, seq;
	ssize_t len = 0;

	if (argc < 2 || bytes == 0 || bytes > sizeof(pt) || secs <= 0) {
		fprintf(stderr, "usage: pkt-bench BYTES [SECONDS]\n");
		return 2;
	}
	crypto_random(&sk, sizeof(sk));
	crypto_random(pt, bytes);
	k = crypto_pkt_key_new(&sk);
	if (!k)
		return 1;
	t0 = now_s();
	do {
		for (int i = 0; i < 1000; i++)
			len = crypto_pkt_seal(k, 0, ++n, NULL, 0, pt, bytes, pkt, sizeof(pkt));
	} while ((seal_s = now_s() - t0) < secs);
	if (len < 0)
		return 1;
	/* opening, through the window as the datapath does it: the same
	 * packet each time, the window set back so that it is new again (an
	 * in-order update costs the same) */
	replay_init(&r);
	len = crypto_pkt_seal(k, 0, 1, NULL, 0, pt, bytes, pkt, sizeof(pkt));
	seq = 0;
	t0 = now_s();
	do {
		for (int i = 0; i < 1000; i++) {
			uint64_t s;

			r.top = 0;
			if (!crypto_pkt_seq(pkt, (size_t)len, &s) ||
			    replay_check(&r, s) != REPLAY_OK ||
			    crypto_pkt_open(k, 0, NULL, 0, pkt, (size_t)len, back, sizeof(back)) !=
				    (ssize_t)bytes)
				return 1;
			replay_update(&r, s);
			seq++;
		}
	} while ((open_s = now_s() - t0) < secs);
	printf("%zu %.0f %.0f\n", bytes, (double)n / seal_s, (double)seq / open_s);
	crypto_pkt_key_free(k);
	return 0;
}
