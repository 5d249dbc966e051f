/* DOC: forwarders
 *
 * A forwarder gets the packets SVR takes over to the datapath and lets
 * the kernel have the others; a `const struct fwd_ops`, chosen by the
 * node's `forwarder` setting, is all the daemon knows of it:
 *
 *   nfqueue     netfilter queues them (mangle PREROUTING, -j NFQUEUE);
 *               each gets a verdict: accept (not SVR's) or drop (the
 *               datapath sent what it made of it).
 *   pcap        libpcap captures them with a BPF filter on each interface;
 *               the kernel drops its own copy (mangle PREROUTING, -j DROP).
 *   raw-socket  AF_PACKET sockets with the same filter compiled to BPF;
 *               the kernel drops its copy the same way.
 *
 * What the datapath sends, all three hand to the kernel through raw IP
 * sockets of their own (send), so routes, ARP and neighbour discovery
 * stay the kernel's: the same packet leaves the same way whatever the
 * forwarder.  (For pcap and raw-socket, a packet the datapath leaves
 * alone is sent on the same way, since the kernel dropped its copy.)
 * Each counts what it took, sent, lost and could not send (stats).
 * pcap and raw-socket differ only in how one capture is opened and read:
 * the loop around it is theirs in common (capture.h).
 *
 * The match is the same for all three: from a LAN interface, destinations
 * in the prefixes of services routed to a peer; from a WAN interface, UDP
 * to one of our waypoint addresses on ports 16384-65534.  svrd installs
 * the netfilter rules (chain OPENSVR, IPv4 and IPv6) when the forwarder
 * opens and removes them when it closes.
 *
 * The forwarding guard fails closed around them: chain OPENSVR-GUARD in
 * mangle, jumped to from the end of PREROUTING (OPENSVR is inserted at
 * its head, so it always comes first), drops what arrives on a LAN
 * interface for a prefix of a service routed to a peer, and chain
 * OPENSVR-GUARD-OUT, jumped to from the end of OUTPUT, what the router
 * itself sends from a LAN prefix to one (OPENSVR-LOCAL comes first).  While the
 * forwarder runs, OPENSVR takes every such packet first and the guard
 * never sees one (an nfqueue accept ends the table); while it does not
 * (svrd stopped, killed or crashed, the forwarder failed to open, key
 * management not running) the guard drops them instead of letting the
 * kernel route them in clear.  svrd installs it as soon as the
 * configuration asks for it, replaces it atomically (iptables-restore)
 * when that changes, and never removes it on exit: only a commit that
 * leaves nothing to guard or `svrd --clear-forwarding-guard` does.
 *
 * No forwarder fails open: a packet nfqueue cannot take is dropped, and
 * there is no --queue-bypass (the model refuses fail-open true).
 */
#ifndef SVR_FWD_H
#define SVR_FWD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FWD_MAX_IFS	 16
#define FWD_MAX_PREFIXES 256
#define FWD_MAX_FDS	 FWD_MAX_IFS
#define FWD_BURST	 64

enum fwd_side { FWD_LAN, FWD_WAN };

struct fwd_config {
	char lan[FWD_MAX_IFS][16];
	int nlan;
	char wan[FWD_MAX_IFS][16];
	int nwan;
	char prefixes[FWD_MAX_PREFIXES][64]; /* services routed to peers */
	int nprefixes;
	char waypoints[FWD_MAX_IFS][64]; /* our WAN addresses */
	int nwaypoints;
	/* the LAN prefixes: the router's own packets from one of them to a
	 * service (ping -I LAN-ADDRESS) go through SVR too (nfqueue), or are
	 * dropped (the captures, which cannot see them): never in clear */
	char locals[FWD_MAX_PREFIXES][64];
	int nlocals;
	uint16_t queue; /* nfqueue */
};

struct fwd_pkt {
	const uint8_t *data; /* an IP packet */
	size_t len;
	enum fwd_side side;
	uint32_t id; /* the forwarder's */
};

struct fwd;

/* What a forwarder counted since it opened.  Not every one can count
 * everything: a counter it has no means to know stays 0 (nfqueue does not
 * see what the kernel drops from a full queue). */
struct fwd_stats {
	uint64_t rx_packets, rx_bytes; /* taken from the kernel (rx_burst) */
	uint64_t rx_dropped;	       /* taken but unusable: unreadable, cut short, no room */
	uint64_t kernel_drops;	       /* lost before we could take them (a capture's ring full) */
	uint64_t passed;	       /* left to the kernel, or sent on as they came (done) */
	uint64_t tx_packets, tx_bytes; /* sent (send, and what done sent on) */
	uint64_t tx_errors;	       /* could not be sent */
};

struct fwd_ops {
	const char *name;
	struct fwd *(*open)(const struct fwd_config *c, char *err, size_t errlen);
	/* the descriptors to wait on for reading */
	int (*fds)(const struct fwd *f, int *out, int max);
	/* up to max packets; each valid until done() is called for it */
	int (*rx_burst)(struct fwd *f, struct fwd_pkt *pkts, int max);
	/* accept: the kernel (or, where its copy was dropped, the sender)
	 * takes the packet as it was; otherwise it is gone */
	void (*done)(struct fwd *f, const struct fwd_pkt *p, bool accept);
	/* after the done() calls of a burst (may be NULL): what done() held
	 * back to do at once, such as nfqueue's batched verdicts */
	void (*flush)(struct fwd *f);
	/* send a whole IP packet (what the datapath made) through the
	 * kernel's routing, on this forwarder's own sockets; 0 or -1 */
	int (*send)(struct fwd *f, const uint8_t *pkt, size_t len);
	/* what it counted since it opened */
	void (*stats)(struct fwd *f, struct fwd_stats *st);
	void (*close)(struct fwd *f);
};

extern const struct fwd_ops fwd_nfqueue, fwd_pcap, fwd_rawsock;

/* The forwarder of that name (nfqueue, pcap, raw-socket), or NULL. */
const struct fwd_ops *fwd_find(const char *name);

/* ---- shared by the three (fwd.c) ---------------------------------------- */

/* A forwarder's sending side: a raw IP socket per family (-1: not open;
 * one that could not be opened is tried again at the next send). */
struct fwd_tx {
	int s4, s6;
};
void fwd_tx_open(struct fwd_tx *t);
/* Send a whole IP packet through the kernel's routing, counted in st;
 * 0 or -1. */
int fwd_tx_send(struct fwd_tx *t, struct fwd_stats *st, const uint8_t *pkt, size_t len);
void fwd_tx_close(struct fwd_tx *t);
/* The netfilter rules: chain OPENSVR in mangle, jumped to from
 * PREROUTING, with target ("NFQUEUE" or "DROP").  0 or -1 (err says). */
int fwd_rules_install(const struct fwd_config *c, bool nfqueue, char *err, size_t errlen);
void fwd_rules_remove(void);
/* The forwarding guard (chain OPENSVR-GUARD, see above) for the LAN
 * interfaces and prefixes of c, both families, put in place of the one
 * there (atomically per family); 0 or -1 (err says). */
int fwd_guard_install(const struct fwd_config *c, char *err, size_t errlen);
/* Remove the guard: the number of families (0-2) it was found in, or -1
 * when it is still there after trying or iptables cannot tell. */
int fwd_guard_remove(void);
/* Whether the guard's chain is in the kernel (IPv4 or IPv6). */
bool fwd_guard_present(void);
/* The BPF filter (pcap syntax) of the packets of one side. */
int fwd_filter(const struct fwd_config *c, enum fwd_side side, char *out, size_t cap);

#endif
