/* DOC: the capture loop of pcap and raw-socket (private to forwarders/)
 *
 * Both forwarders open one capture per LAN, then per WAN interface, with
 * the filter of its side (fwd_filter), have netfilter drop the kernel's
 * copies, read each capture's packets in turn into copies of their own,
 * and send on what the datapath leaves alone, since the kernel dropped
 * its copy.  They differ only in how one capture is opened, read and
 * closed: a struct capture_kind says that, and capture.c does the rest
 * (it is both forwarders' struct fwd). */
#ifndef SVR_CAPTURE_H
#define SVR_CAPTURE_H

#include <sys/types.h>

#include "fwd.h"

struct capture {
	enum fwd_side side;
	int fd;	       /* to wait on; -1 before it is open */
	void *h;       /* the kind's handle (pcap_t *), or NULL */
	size_t l2;     /* bytes of link-layer header in front of the IP packet */
	uint64_t lost; /* what the kernel reported lost so far, where it reports it once */
};

struct capture_kind {
	const char *name;
	/* Open k on ifname for its side (k->side set, k->fd -1, k->h NULL):
	 * 0, or -1 with err; close_one is called for it either way. */
	int (*open_one)(struct capture *k, const char *ifname, const struct fwd_config *c,
			char *err, size_t errlen);
	/* The next packet of k, the IP packet into buf (cap bytes): its
	 * length; 0 when there is none now; -1 for one that was taken but
	 * cannot be sent on whole (cut short), which is skipped. */
	ssize_t (*read_one)(struct capture *k, uint8_t *buf, size_t cap);
	/* Packets the kernel lost on k since it opened (may be NULL). */
	uint64_t (*lost)(struct capture *k);
	void (*close_one)(struct capture *k);
};

/* A forwarder of that kind on c's interfaces (err says why not). */
struct fwd *capture_open(const struct capture_kind *kind, const struct fwd_config *c, char *err,
			 size_t errlen);

/* The struct fwd_ops of a capture forwarder, its open calling
 * capture_open with its kind. */
int capture_fds(const struct fwd *f, int *out, int max);
int capture_rx(struct fwd *f, struct fwd_pkt *pkts, int max);
void capture_done(struct fwd *f, const struct fwd_pkt *p, bool accept);
int capture_send(struct fwd *f, const uint8_t *pkt, size_t len);
void capture_stats(struct fwd *f, struct fwd_stats *st);
void capture_close(struct fwd *f);

#endif
