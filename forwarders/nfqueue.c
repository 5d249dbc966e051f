/* The nfqueue forwarder: netfilter hands the matching packets to one
 * queue; each gets a verdict.  See fwd.h.
 *
 * Verdicts are batched: almost every packet of a burst is a drop (the
 * datapath sent what it made of it), and one NFQNL_MSG_VERDICT_BATCH
 * drops every queued packet up to an id.  Packets come in id order, so a
 * run of drops waits until an accept (sent on its own, after the run) or
 * the end of the burst. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fwd.h"

struct fwd {
	struct nfq_handle *h;
	struct nfq_q_handle *q;
	int fd;
	unsigned wan_ifindex[FWD_MAX_IFS];
	int nwan;
	/* filled by the callback during one rx_burst */
	struct fwd_pkt *out;
	int n, max;
	uint32_t drop_upto; /* a run of drops not told to the kernel yet */
	bool drop_pending;
	struct fwd_tx tx;
	struct fwd_stats st;
	char buf[65536 + 4096] __attribute__((aligned));
	uint8_t copies[FWD_BURST][65536];
};

static int on_packet(struct nfq_q_handle *q, struct nfgenmsg *msg, struct nfq_data *nfa, void *arg)
{
	struct fwd *f = arg;
	struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
	unsigned char *data;
	int len = nfq_get_payload(nfa, &data);
	uint32_t id = ph ? ntohl(ph->packet_id) : 0;

	(void)msg;
	if (!ph || len < 0 || f->n >= f->max) {
		/* unreadable, or no room this time: dropped, never accepted
		 * as it was (that would send it on in clear).  Rare: each recv
		 * returns one message, and the burst stops at max. */
		nfq_set_verdict(q, id, NF_DROP, 0, NULL);
		f->st.rx_dropped++;
		return 0;
	}
	f->st.rx_packets++;
	f->st.rx_bytes += (size_t)len;
	memcpy(f->copies[f->n], data, (size_t)len);
	f->out[f->n].data = f->copies[f->n];
	f->out[f->n].len = (size_t)len;
	/* the rules queue LAN traffic by destination prefix and WAN traffic
	 * as UDP to a waypoint: the device tells which */
	f->out[f->n].side = FWD_LAN;
	for (int i = 0; i < f->nwan; i++)
		if (nfq_get_indev(nfa) == f->wan_ifindex[i])
			f->out[f->n].side = FWD_WAN;
	f->out[f->n].id = id;
	f->n++;
	return 0;
}

static struct fwd *nfq_fwd_open(const struct fwd_config *c, char *err, size_t errlen)
{
	struct fwd *f = calloc(1, sizeof(*f));

	if (!f) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (int i = 0; i < c->nwan; i++)
		f->wan_ifindex[f->nwan++] = if_nametoindex(c->wan[i]);
	fwd_tx_open(&f->tx);
	f->h = nfq_open();
	if (!f->h) {
		snprintf(err, errlen, "nfqueue: cannot open a netlink queue handle");
		goto fail;
	}
	nfq_unbind_pf(f->h, AF_INET);
	nfq_bind_pf(f->h, AF_INET);
	nfq_unbind_pf(f->h, AF_INET6);
	nfq_bind_pf(f->h, AF_INET6);
	f->q = nfq_create_queue(f->h, c->queue, on_packet, f);
	if (!f->q) {
		snprintf(err, errlen, "nfqueue: cannot bind queue %u (another process has it?)",
			 c->queue);
		goto fail;
	}
	if (nfq_set_mode(f->q, NFQNL_COPY_PACKET, 0xffff) < 0) {
		snprintf(err, errlen, "nfqueue: cannot ask for whole packets");
		goto fail;
	}
	/* A full queue drops (no NFQA_CFG_F_FAIL_OPEN): fail closed. */
	nfq_set_queue_maxlen(f->q, 4096);
	/* TCP super-packets whole: one message for up to 64 KB instead of a
	 * message, a copy and a verdict per segment; the data plane splits
	 * them (segment.h).  An older kernel without the flag segments them. */
	nfq_set_queue_flags(f->q, NFQA_CFG_F_GSO, NFQA_CFG_F_GSO);
	f->fd = nfq_fd(f->h);
	{
		int big = 4 << 20, fl = fcntl(f->fd, F_GETFL);

		setsockopt(f->fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
		fcntl(f->fd, F_SETFL, fl | O_NONBLOCK);
	}
	if (fwd_rules_install(c, true, err, errlen) < 0)
		goto fail;
	return f;
fail:
	if (f->q)
		nfq_destroy_queue(f->q);
	if (f->h)
		nfq_close(f->h);
	fwd_tx_close(&f->tx);
	free(f);
	return NULL;
}

static int nfq_fwd_fds(const struct fwd *f, int *out, int max)
{
	if (max < 1)
		return 0;
	out[0] = f->fd;
	return 1;
}

static int nfq_fwd_rx(struct fwd *f, struct fwd_pkt *pkts, int max)
{
	ssize_t n;

	f->out = pkts;
	f->n = 0;
	f->max = max < FWD_BURST ? max : FWD_BURST;
	while (f->n < f->max && (n = recv(f->fd, f->buf, sizeof(f->buf), 0)) > 0)
		nfq_handle_packet(f->h, f->buf, (int)n);
	return f->n;
}

static void nfq_fwd_flush(struct fwd *f)
{
	if (f->drop_pending)
		nfq_set_verdict_batch(f->q, f->drop_upto, NF_DROP);
	f->drop_pending = false;
}

static void nfq_fwd_done(struct fwd *f, const struct fwd_pkt *p, bool accept)
{
	if (!accept) {
		f->drop_upto = p->id;
		f->drop_pending = true;
		return;
	}
	nfq_fwd_flush(f);
	nfq_set_verdict(f->q, p->id, NF_ACCEPT, 0, NULL);
	f->st.passed++;
}

static int nfq_fwd_send(struct fwd *f, const uint8_t *pkt, size_t len)
{
	return fwd_tx_send(&f->tx, &f->st, pkt, len);
}

/* What the kernel drops from a full queue is not counted here: the
 * kernel keeps that count (/proc/net/netfilter/nfnetlink_queue). */
static void nfq_fwd_stats(struct fwd *f, struct fwd_stats *st)
{
	*st = f->st;
}

static void nfq_fwd_close(struct fwd *f)
{
	if (!f)
		return;
	nfq_fwd_flush(f);
	fwd_rules_remove();
	nfq_destroy_queue(f->q);
	nfq_close(f->h);
	fwd_tx_close(&f->tx);
	free(f);
}

const struct fwd_ops fwd_nfqueue = {
	.name = "nfqueue",
	.open = nfq_fwd_open,
	.fds = nfq_fwd_fds,
	.rx_burst = nfq_fwd_rx,
	.done = nfq_fwd_done,
	.flush = nfq_fwd_flush,
	.send = nfq_fwd_send,
	.stats = nfq_fwd_stats,
	.close = nfq_fwd_close,
};
