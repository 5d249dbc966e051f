/* The pcap forwarder: libpcap captures the matching packets on each
 * interface with a BPF filter; netfilter drops the kernel's copy.  See
 * fwd.h. */
#include "config.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwd.h"

struct cap {
	pcap_t *p;
	enum fwd_side side;
	int fd, l2; /* bytes of link-layer header */
};

struct fwd {
	struct cap caps[2 * FWD_MAX_IFS];
	int ncaps;
	uint8_t copies[FWD_BURST][65536];
};

static void pcap_fwd_close(struct fwd *f)
{
	if (!f)
		return;
	fwd_rules_remove();
	for (int i = 0; i < f->ncaps; i++)
		pcap_close(f->caps[i].p);
	free(f);
}

static int open_one(struct fwd *f, const char *ifname, enum fwd_side side,
		    const struct fwd_config *c, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE], expr[8192];
	struct bpf_program prog;
	struct cap *k = &f->caps[f->ncaps];
	int dlt;

	k->p = pcap_create(ifname, ebuf);
	if (!k->p) {
		snprintf(err, errlen, "pcap: %s: %s", ifname, ebuf);
		return -1;
	}
	f->ncaps++;
	k->side = side;
	/* Immediate mode gives a ring of fixed-size slots, one per packet,
	 * each as large as the snapshot length.  A WAN brings packets no
	 * larger than its MTU: jumbo-frame slots, and a 32 MB ring holds
	 * about 3,500 of a burst (4 MB of 64 KB slots held 64 and lost the
	 * rest).  A LAN brings TCP super-packets of up to 64 KB (segment.h),
	 * which must be caught whole: 64 KB slots in 64 MB, about 1,000. */
	pcap_set_snaplen(k->p, side == FWD_LAN ? 65535 : 9216);
	pcap_set_immediate_mode(k->p, 1);
	pcap_set_buffer_size(k->p, side == FWD_LAN ? 64 << 20 : 32 << 20);
	if (pcap_activate(k->p) < 0) {
		snprintf(err, errlen, "pcap: %s: %s", ifname, pcap_geterr(k->p));
		return -1;
	}
	dlt = pcap_datalink(k->p);
	k->l2 = dlt == DLT_EN10MB ? 14 : dlt == DLT_RAW ? 0 : -1;
	if (k->l2 < 0) {
		snprintf(err, errlen, "pcap: %s: link type %d is not Ethernet", ifname, dlt);
		return -1;
	}
	if (fwd_filter(c, side, expr, sizeof(expr)) < 0 ||
	    pcap_compile(k->p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0 ||
	    pcap_setfilter(k->p, &prog) < 0) {
		snprintf(err, errlen, "pcap: %s: filter: %s", ifname, pcap_geterr(k->p));
		return -1;
	}
	pcap_freecode(&prog);
	pcap_setdirection(k->p, PCAP_D_IN);
	if (pcap_setnonblock(k->p, 1, ebuf) < 0 || (k->fd = pcap_get_selectable_fd(k->p)) < 0) {
		snprintf(err, errlen, "pcap: %s: no descriptor to wait on", ifname);
		return -1;
	}
	return 0;
}

static struct fwd *pcap_fwd_open(const struct fwd_config *c, char *err, size_t errlen)
{
	struct fwd *f = calloc(1, sizeof(*f));

	if (!f) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (fwd_open_captures(f, c, open_one, err, errlen) < 0) {
		pcap_fwd_close(f);
		return NULL;
	}
	return f;
}

static int pcap_fwd_fds(const struct fwd *f, int *out, int max)
{
	int n = 0;

	for (int i = 0; i < f->ncaps && n < max; i++)
		out[n++] = f->caps[i].fd;
	return n;
}

static int pcap_fwd_rx(struct fwd *f, struct fwd_pkt *pkts, int max)
{
	int n = 0;

	if (max > FWD_BURST)
		max = FWD_BURST;
	for (int i = 0; i < f->ncaps && n < max; i++) {
		struct pcap_pkthdr *h;
		const u_char *data;

		while (n < max && pcap_next_ex(f->caps[i].p, &h, &data) == 1) {
			size_t l2 = (size_t)f->caps[i].l2;

			if (h->caplen <= l2 || h->caplen != h->len)
				continue; /* cut short: cannot be sent on whole */
			memcpy(f->copies[n], data + l2, h->caplen - l2);
			pkts[n].data = f->copies[n];
			pkts[n].len = h->caplen - l2;
			pkts[n].side = f->caps[i].side;
			pkts[n].id = (uint32_t)n;
			n++;
		}
	}
	return n;
}

const struct fwd_ops fwd_pcap = {
	.name = "pcap",
	.open = pcap_fwd_open,
	.fds = pcap_fwd_fds,
	.rx_burst = pcap_fwd_rx,
	.done = fwd_done_resend,
	.close = pcap_fwd_close,
};
