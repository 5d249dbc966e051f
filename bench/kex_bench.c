/* Benchmark: one hub and N spokes brought to MKEY_EXCH_COMP and then fully
 * rekeyed, in one process (the engine is sans-I/O), for one key-exchange
 * algorithm.  Against it: the raw cost of the same OpenSSL operations done
 * directly (per peer: two ephemeral key pairs, two agreements, two
 * signatures, two verifications, two certificate validations), measured in
 * the same run.
 *
 * usage: kex-bench N x25519|dh2048|dh3072|dh4096
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "crypto.h"
#include "kex.h"
#include "kexpair.h"
#include "pki.h"

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static struct kex_engine *hub, **spokes;
static int n;
static uint64_t now;

/* The hub's message for its peer p to spoke p; a spoke's to the hub
 * (arg: the spoke's number). */
static void to_spoke(void *arg, struct kex_engine *from, int p, const uint8_t *m, size_t len)
{
	(void)arg;
	(void)from;
	kex_input(spokes[p], 0, m, len, true, now);
}

static void to_hub(void *arg, struct kex_engine *from, int p, const uint8_t *m, size_t len)
{
	(void)from;
	(void)p;
	kex_input(hub, *(const int *)arg, m, len, true, now);
}

/* Move messages until nothing is in flight. */
static void settle(void)
{
	bool moved = true;

	while (moved) {
		moved = kexpair_drain(hub, to_spoke, NULL);
		for (int i = 0; i < n; i++)
			moved |= kexpair_drain(spokes[i], to_hub, &i);
	}
}

static int complete_count(void)
{
	int c = 0;

	for (int i = 0; i < n; i++) {
		struct kex_peer_state s;

		kex_peer_state(hub, i, &s);
		c += strcmp(s.status, "MKEY_EXCH_COMP") == 0;
	}
	return c;
}

int main(int argc, char **argv)
{
	enum crypto_kex alg;
	char name[64];
	struct pki_identity *hid, **sid;
	double w0, c0, w_up, c_up, w_rk, c_rk, raw_w, raw_c;
	long rss0, rss1;
	struct kex_config cfg;

	if (argc != 3) {
		fprintf(stderr, "usage: kex-bench N x25519|dh2048|dh3072|dh4096\n");
		return 2;
	}
	n = atoi(argv[1]);
	alg = strcmp(argv[2], "x25519") == 0   ? CRYPTO_KEX_X25519
	      : strcmp(argv[2], "dh2048") == 0 ? CRYPTO_KEX_FFDHE2048
	      : strcmp(argv[2], "dh3072") == 0 ? CRYPTO_KEX_FFDHE3072
					       : CRYPTO_KEX_FFDHE4096;
	if (n < 1)
		return 2;
	now = (uint64_t)time(NULL) * 1000;
	/* identities first: they are not part of the exchange */
	hid = kexpair_identity("hub", (int64_t)(now / 1000), 365);
	sid = calloc((size_t)n, sizeof(*sid));
	spokes = calloc((size_t)n, sizeof(*spokes));
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "spoke%d", i);
		sid[i] = kexpair_identity(name, (int64_t)(now / 1000), 365);
	}
	rss0 = rss_kb();
	cfg = kexpair_config("hub", hid);
	cfg.alg = alg;
	hub = kex_new(&cfg, now);
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "spoke%d", i);
		kex_add_peer(hub, name);
		cfg = kexpair_config(name, sid[i]);
		cfg.alg = alg;
		spokes[i] = kexpair_engine(&cfg, "hub", now);
	}
	/* bring everyone up */
	w0 = wall_s();
	c0 = cpu_s();
	kex_tick(hub, now);
	for (int i = 0; i < n; i++)
		kex_tick(spokes[i], now);
	settle();
	w_up = wall_s() - w0;
	c_up = cpu_s() - c0;
	rss1 = rss_kb();
	if (complete_count() != n) {
		fprintf(stderr, "only %d of %d peers complete\n", complete_count(), n);
		return 1;
	}
	/* a full rekey, started by the hub */
	w0 = wall_s();
	c0 = cpu_s();
	now += 1000;
	kex_rekey(hub, now);
	kex_regenerate(hub, now);
	settle();
	w_rk = wall_s() - w0;
	c_rk = cpu_s() - c0;
	if (complete_count() != n) {
		fprintf(stderr, "after the rekey only %d of %d peers complete\n", complete_count(),
			n);
		return 1;
	}
	/* the raw OpenSSL work of one rekey, per peer, done directly: what the
	 * engine does minus the engine (keys, agreements, signatures,
	 * verifications, the HKDFs and the sealed metadata keys) */
	{
		struct pki_peer **pins = calloc((size_t)n, sizeof(*pins)), *hpin;
		enum pki_verdict v;
		const uint8_t *der;
		size_t dl;
		char detail[160];

		der = pki_identity_der(hid, &dl);
		hpin = pki_peer_validate(NULL, der, dl, "hub", (int64_t)(now / 1000), &v, detail,
					 sizeof(detail));
		for (int i = 0; i < n; i++) {
			snprintf(name, sizeof(name), "spoke%d", i);
			der = pki_identity_der(sid[i], &dl);
			pins[i] = pki_peer_validate(NULL, der, dl, name, (int64_t)(now / 1000), &v,
						    detail, sizeof(detail));
		}
		w0 = wall_s();
		c0 = cpu_s();
		for (int i = 0; i < n; i++) {
			struct crypto_kex_key *x = crypto_kex_generate(alg),
					      *y = crypto_kex_generate(alg);
			uint8_t px[CRYPTO_KEX_MAX_PUB], py[CRYPTO_KEX_MAX_PUB],
				sec[CRYPTO_KEX_MAX_PUB], sig[PKI_SIG_MAX], okm[80], ct[256],
				pt[256];
			size_t lx, ly, ls, lsig;
			struct crypto_seal_key k;

			memset(&k, 1, sizeof(k));
			crypto_kex_public(x, px, sizeof(px), &lx);
			crypto_kex_public(y, py, sizeof(py), &ly);
			crypto_kex_derive(x, py, ly, sec, sizeof(sec), &ls);
			crypto_hkdf_sha384(px, 16, sec, ls, px, 20, okm, sizeof(okm));
			crypto_kex_derive(y, px, lx, sec, sizeof(sec), &ls);
			crypto_hkdf_sha384(px, 16, sec, ls, px, 20, okm, sizeof(okm));
			pki_sign(hid, px, lx, sig, sizeof(sig), &lsig);
			pki_peer_verify(hpin, px, lx, sig, lsig);
			pki_sign(sid[i], py, ly, sig, sizeof(sig), &lsig);
			pki_peer_verify(pins[i], py, ly, sig, lsig);
			for (int m = 0; m < 2; m++) {
				ssize_t c = crypto_seal(&k, px, 12, okm, 84, ct, sizeof(ct));

				crypto_open(&k, px, 12, ct, (size_t)c, pt, sizeof(pt));
			}
			crypto_kex_free(x);
			crypto_kex_free(y);
		}
		raw_w = wall_s() - w0;
		raw_c = cpu_s() - c0;
		for (int i = 0; i < n; i++)
			pki_peer_free(pins[i]);
		free(pins);
		pki_peer_free(hpin);
	}
	printf("| %d | %s | %.2f | %.2f | %.2f | %.2f | %.3f | %.2f | %.2f | %.0f |\n", n,
	       crypto_kex_name(alg), w_up, c_up, w_rk, c_rk, c_rk / n * 1000, raw_w, raw_c,
	       (double)(rss1 - rss0) / n * 1024);
	printf("ratio rekey CPU / raw OpenSSL CPU: %.2f\n", c_rk / raw_c);
	for (int i = 0; i < n; i++) {
		kex_free(spokes[i]);
		pki_identity_free(sid[i]);
	}
	kex_free(hub);
	pki_identity_free(hid);
	return 0;
}
