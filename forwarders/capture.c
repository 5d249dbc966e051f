/* The capture loop of the pcap and raw-socket forwarders; see capture.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "capture.h"

struct fwd {
	const struct capture_kind *kind;
	struct capture caps[2 * FWD_MAX_IFS];
	int ncaps;
	struct fwd_tx tx;
	struct fwd_stats st;
	uint8_t copies[FWD_BURST][65536];
};

void capture_close(struct fwd *f)
{
	if (!f)
		return;
	fwd_rules_remove();
	for (int i = 0; i < f->ncaps; i++)
		f->kind->close_one(&f->caps[i]);
	fwd_tx_close(&f->tx);
	free(f);
}

/* One capture more, on ifname for side: 0, or -1 with err. */
static int open_one(struct fwd *f, const char *ifname, enum fwd_side side,
		    const struct fwd_config *c, char *err, size_t errlen)
{
	struct capture *k = &f->caps[f->ncaps++];

	k->side = side;
	k->fd = -1;
	return f->kind->open_one(k, ifname, c, err, errlen);
}

/* A capture on every LAN, then every WAN interface, then the rules that
 * drop the kernel's copies. */
struct fwd *capture_open(const struct capture_kind *kind, const struct fwd_config *c, char *err,
			 size_t errlen)
{
	struct fwd *f = calloc(1, sizeof(*f));

	if (!f) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->kind = kind;
	fwd_tx_open(&f->tx);
	for (int i = 0; i < c->nlan; i++)
		if (open_one(f, c->lan[i], FWD_LAN, c, err, errlen) < 0)
			goto fail;
	for (int i = 0; i < c->nwan; i++)
		if (open_one(f, c->wan[i], FWD_WAN, c, err, errlen) < 0)
			goto fail;
	if (fwd_rules_install(c, false, err, errlen) < 0)
		goto fail;
	return f;
fail:
	capture_close(f);
	return NULL;
}

int capture_fds(const struct fwd *f, int *out, int max)
{
	int n = 0;

	for (int i = 0; i < f->ncaps && n < max; i++)
		out[n++] = f->caps[i].fd;
	return n;
}

/* Each capture in turn, as many of its packets as are there, up to max
 * in all. */
int capture_rx(struct fwd *f, struct fwd_pkt *pkts, int max)
{
	int n = 0;

	if (max > FWD_BURST)
		max = FWD_BURST;
	for (int i = 0; i < f->ncaps && n < max; i++) {
		struct capture *k = &f->caps[i];
		ssize_t len;

		while (n < max &&
		       (len = f->kind->read_one(k, f->copies[n], sizeof(f->copies[n]))) != 0) {
			if (len < 0) {
				f->st.rx_dropped++; /* cut short: cannot be sent on whole */
				continue;
			}
			pkts[n] = (struct fwd_pkt){f->copies[n], (size_t)len, k->side, (uint32_t)n};
			f->st.rx_packets++;
			f->st.rx_bytes += (size_t)len;
			n++;
		}
	}
	return n;
}

void capture_done(struct fwd *f, const struct fwd_pkt *p, bool accept)
{
	if (!accept)
		return;
	f->st.passed++;
	/* the kernel dropped its copy: send ours on */
	fwd_tx_send(&f->tx, &f->st, p->data, p->len);
}

int capture_send(struct fwd *f, const uint8_t *pkt, size_t len)
{
	return fwd_tx_send(&f->tx, &f->st, pkt, len);
}

void capture_stats(struct fwd *f, struct fwd_stats *st)
{
	f->st.kernel_drops = 0;
	for (int i = 0; f->kind->lost && i < f->ncaps; i++)
		f->st.kernel_drops += f->kind->lost(&f->caps[i]);
	*st = f->st;
}
