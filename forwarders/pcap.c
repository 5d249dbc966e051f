/* The pcap forwarder: libpcap captures the matching packets on each
 * interface with a BPF filter; netfilter drops the kernel's copy.  The
 * capture loop is capture.c's; this is how one pcap capture is opened,
 * read and closed.  See fwd.h. */
#include "config.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "capture.h"

/* The ring, the link type and the filter of a capture just made. */
static int pcap_setup(struct capture *k, pcap_t *p, const char *ifname, const struct fwd_config *c,
		      char *err, size_t errlen)
{
	char expr[8192];
	struct bpf_program prog;
	int dlt;

	/* Immediate mode gives a ring of fixed-size slots, one per packet,
	 * each as large as the snapshot length.  A WAN brings packets no
	 * larger than its MTU: jumbo-frame slots, and a 32 MB ring holds
	 * about 3,500 of a burst (4 MB of 64 KB slots held 64 and lost the
	 * rest).  A LAN brings TCP super-packets of up to 64 KB (segment.h),
	 * which must be caught whole: 64 KB slots in 64 MB, about 1,000. */
	pcap_set_snaplen(p, k->side == FWD_LAN ? 65535 : 9216);
	pcap_set_immediate_mode(p, 1);
	pcap_set_buffer_size(p, k->side == FWD_LAN ? 64 << 20 : 32 << 20);
	if (pcap_activate(p) < 0) {
		snprintf(err, errlen, "pcap: %s: %s", ifname, pcap_geterr(p));
		return -1;
	}
	dlt = pcap_datalink(p);
	if (dlt != DLT_EN10MB && dlt != DLT_RAW) {
		snprintf(err, errlen, "pcap: %s: link type %d is not Ethernet", ifname, dlt);
		return -1;
	}
	k->l2 = dlt == DLT_EN10MB ? 14 : 0;
	if (fwd_filter(c, k->side, expr, sizeof(expr)) < 0 ||
	    pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0 ||
	    pcap_setfilter(p, &prog) < 0) {
		snprintf(err, errlen, "pcap: %s: filter: %s", ifname, pcap_geterr(p));
		return -1;
	}
	pcap_freecode(&prog);
	return 0;
}

static int pcap_open_one(struct capture *k, const char *ifname, const struct fwd_config *c,
			 char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_create(ifname, ebuf);

	if (!p) {
		snprintf(err, errlen, "pcap: %s: %s", ifname, ebuf);
		return -1;
	}
	k->h = p;
	if (pcap_setup(k, p, ifname, c, err, errlen) < 0)
		return -1;
	pcap_setdirection(p, PCAP_D_IN);
	if (pcap_setnonblock(p, 1, ebuf) < 0 || (k->fd = pcap_get_selectable_fd(p)) < 0) {
		snprintf(err, errlen, "pcap: %s: no descriptor to wait on", ifname);
		return -1;
	}
	return 0;
}

static ssize_t pcap_read_one(struct capture *k, uint8_t *buf, size_t cap)
{
	struct pcap_pkthdr *h;
	const u_char *data;

	if (pcap_next_ex(k->h, &h, &data) != 1)
		return 0;
	if (h->caplen <= k->l2 || h->caplen != h->len || h->caplen - k->l2 > cap)
		return -1; /* cut short: cannot be sent on whole */
	memcpy(buf, data + k->l2, h->caplen - k->l2);
	return (ssize_t)(h->caplen - k->l2);
}

/* What libpcap says the kernel dropped (its ring full) since it opened. */
static uint64_t pcap_lost(struct capture *k)
{
	struct pcap_stat ps;

	return k->h && pcap_stats(k->h, &ps) == 0 ? ps.ps_drop : 0;
}

static void pcap_close_one(struct capture *k)
{
	if (k->h)
		pcap_close(k->h);
	k->h = NULL;
}

static const struct capture_kind pcap_kind = {
	.name = "pcap",
	.open_one = pcap_open_one,
	.read_one = pcap_read_one,
	.lost = pcap_lost,
	.close_one = pcap_close_one,
};

static struct fwd *pcap_fwd_open(const struct fwd_config *c, char *err, size_t errlen)
{
	return capture_open(&pcap_kind, c, err, errlen);
}

const struct fwd_ops fwd_pcap = {
	.name = "pcap",
	.open = pcap_fwd_open,
	.fds = capture_fds,
	.rx_burst = capture_rx,
	.done = capture_done,
	.send = capture_send,
	.stats = capture_stats,
	.close = capture_close,
};
