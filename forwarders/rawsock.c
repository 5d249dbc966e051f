/* The raw-socket forwarder: one AF_PACKET socket per interface, with the
 * capture filter compiled to classic BPF and attached in the kernel;
 * netfilter drops the kernel's copy.  See fwd.h. */
#include "config.h"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fwd.h"

struct sock {
	int fd;
	enum fwd_side side;
};

struct fwd {
	struct sock socks[2 * FWD_MAX_IFS];
	int nsocks;
	uint8_t copies[FWD_BURST][65536];
};

static void raw_fwd_close(struct fwd *f)
{
	if (!f)
		return;
	fwd_rules_remove();
	for (int i = 0; i < f->nsocks; i++)
		close(f->socks[i].fd);
	free(f);
}

static int open_one(struct fwd *f, const char *ifname, enum fwd_side side,
		    const struct fwd_config *c, char *err, size_t errlen)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL)};
	struct bpf_program prog;
	struct sock_fprog fprog;
	pcap_t *dead;
	char expr[8192];
	int one = 1, big = 4 << 20, fd;

	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (!sll.sll_ifindex) {
		snprintf(err, errlen, "raw-socket: no interface %s", ifname);
		return -1;
	}
	/* SOCK_DGRAM: the filter and the reader see the IP packet, no
	 * link-layer header, whatever the link */
	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (fd < 0) {
		snprintf(err, errlen, "raw-socket: cannot open a packet socket");
		return -1;
	}
	f->socks[f->nsocks].fd = fd;
	f->socks[f->nsocks++].side = side;
	dead = pcap_open_dead(DLT_RAW, 65535);
	if (!dead || fwd_filter(c, side, expr, sizeof(expr)) < 0 ||
	    pcap_compile(dead, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errlen, "raw-socket: %s: cannot compile the filter", ifname);
		if (dead)
			pcap_close(dead);
		return -1;
	}
	pcap_close(dead);
	fprog.len = (unsigned short)prog.bf_len;
	fprog.filter = (struct sock_filter *)prog.bf_insns;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog)) < 0) {
		pcap_freecode(&prog);
		snprintf(err, errlen, "raw-socket: %s: cannot attach the filter", ifname);
		return -1;
	}
	pcap_freecode(&prog);
	setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		snprintf(err, errlen, "raw-socket: cannot bind to %s", ifname);
		return -1;
	}
	return 0;
}

static struct fwd *raw_fwd_open(const struct fwd_config *c, char *err, size_t errlen)
{
	struct fwd *f = calloc(1, sizeof(*f));

	if (!f) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (fwd_open_captures(f, c, open_one, err, errlen) < 0) {
		raw_fwd_close(f);
		return NULL;
	}
	return f;
}

static int raw_fwd_fds(const struct fwd *f, int *out, int max)
{
	int n = 0;

	for (int i = 0; i < f->nsocks && n < max; i++)
		out[n++] = f->socks[i].fd;
	return n;
}

static int raw_fwd_rx(struct fwd *f, struct fwd_pkt *pkts, int max)
{
	int n = 0;

	if (max > FWD_BURST)
		max = FWD_BURST;
	for (int i = 0; i < f->nsocks && n < max; i++) {
		ssize_t len;

		while (n < max && (len = recv(f->socks[i].fd, f->copies[n], sizeof(f->copies[n]),
					      MSG_TRUNC)) > 0) {
			if ((size_t)len > sizeof(f->copies[n]))
				continue; /* cut short */
			pkts[n].data = f->copies[n];
			pkts[n].len = (size_t)len;
			pkts[n].side = f->socks[i].side;
			pkts[n].id = (uint32_t)n;
			n++;
		}
	}
	return n;
}

const struct fwd_ops fwd_rawsock = {
	.name = "raw-socket",
	.open = raw_fwd_open,
	.fds = raw_fwd_fds,
	.rx_burst = raw_fwd_rx,
	.done = fwd_done_resend,
	.close = raw_fwd_close,
};
