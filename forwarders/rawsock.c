/* The raw-socket forwarder: one AF_PACKET socket per interface, with the
 * capture filter compiled to classic BPF and attached in the kernel;
 * netfilter drops the kernel's copy.  The capture loop is capture.c's;
 * this is how one packet socket is opened, read and closed.  See fwd.h. */
#include "config.h"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "capture.h"

/* The filter of k's side, compiled to classic BPF and attached to fd. */
static int attach_filter(int fd, const struct capture *k, const char *ifname,
			 const struct fwd_config *c, char *err, size_t errlen)
{
	struct bpf_program prog;
	struct sock_fprog fprog;
	pcap_t *dead = pcap_open_dead(DLT_RAW, 65535);
	char expr[8192];
	int rc;

	if (!dead || fwd_filter(c, k->side, expr, sizeof(expr)) < 0 ||
	    pcap_compile(dead, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errlen, "raw-socket: %s: cannot compile the filter", ifname);
		if (dead)
			pcap_close(dead);
		return -1;
	}
	pcap_close(dead);
	fprog.len = (unsigned short)prog.bf_len;
	fprog.filter = (struct sock_filter *)prog.bf_insns;
	rc = setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog));
	pcap_freecode(&prog);
	if (rc < 0)
		snprintf(err, errlen, "raw-socket: %s: cannot attach the filter", ifname);
	return rc < 0 ? -1 : 0;
}

static int raw_open_one(struct capture *k, const char *ifname, const struct fwd_config *c,
			char *err, size_t errlen)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL)};
	int one = 1, big = 4 << 20;

	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (!sll.sll_ifindex) {
		snprintf(err, errlen, "raw-socket: no interface %s", ifname);
		return -1;
	}
	/* SOCK_DGRAM: the filter and the reader see the IP packet, no
	 * link-layer header, whatever the link */
	k->fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (k->fd < 0) {
		snprintf(err, errlen, "raw-socket: cannot open a packet socket");
		return -1;
	}
	if (attach_filter(k->fd, k, ifname, c, err, errlen) < 0)
		return -1;
	setsockopt(k->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	setsockopt(k->fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	if (bind(k->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		snprintf(err, errlen, "raw-socket: cannot bind to %s", ifname);
		return -1;
	}
	return 0;
}

static ssize_t raw_read_one(struct capture *k, uint8_t *buf, size_t cap)
{
	ssize_t len = recv(k->fd, buf, cap, MSG_TRUNC);

	if (len <= 0)
		return 0;
	return (size_t)len > cap ? -1 : len; /* cut short: cannot be sent on whole */
}

/* What the kernel dropped on the socket (its buffer full) since it
 * opened: PACKET_STATISTICS says since it was last asked. */
static uint64_t raw_lost(struct capture *k)
{
	struct tpacket_stats ts;
	socklen_t len = sizeof(ts);

	if (k->fd >= 0 && getsockopt(k->fd, SOL_PACKET, PACKET_STATISTICS, &ts, &len) == 0)
		k->lost += ts.tp_drops;
	return k->lost;
}

static void raw_close_one(struct capture *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
}

static const struct capture_kind raw_kind = {
	.name = "raw-socket",
	.open_one = raw_open_one,
	.read_one = raw_read_one,
	.lost = raw_lost,
	.close_one = raw_close_one,
};

static struct fwd *raw_fwd_open(const struct fwd_config *c, char *err, size_t errlen)
{
	return capture_open(&raw_kind, c, err, errlen);
}

const struct fwd_ops fwd_rawsock = {
	.name = "raw-socket",
	.open = raw_fwd_open,
	.fds = capture_fds,
	.rx_burst = capture_rx,
	.done = capture_done,
	.send = capture_send,
	.stats = capture_stats,
	.close = capture_close,
};
