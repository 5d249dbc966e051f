/* DOC: the datapath (sans-I/O)
 *
 * Everything a router does with a packet that SVR carries, whatever the
 * forwarder: given an IP packet from a LAN or from the WAN and the time,
 * it says what to send (a whole IP packet) or why not.  It never touches
 * a socket, a clock or the configuration tree; the forwarders feed it and
 * send what it returns, and svrd tells it the services, the peers and
 * where the keys are.  So the same code runs under NFQUEUE, libpcap and
 * raw sockets, and the tests run it on byte buffers.
 *
 * A session is one flow (5-tuple) between a LAN host and a service behind
 * a peer.  The ingress router (where the first packet arrived from a LAN)
 * makes it: a waypoint port from 16384-65534 (the same at both ends), a
 * payload key of its own, wrapped for the peer with the peer's metadata
 * key.  Its packets cross the WAN as UDP between the two routers' waypoint
 * addresses, the original payload protected with the payload key
 * (doc/protocol.md, "Session packets"); the first ones carry SVR metadata
 * (doc/protocol.md, "Session metadata") until the handshake says the far
 * end has the session.  The egress router restores the original addresses
 * and ports and hands the packet to its LAN; replies take the same session
 * back.
 *
 * What travels inside: for UDP the datagram's payload (the ports are the
 * session's), for TCP the whole segment (its checksum stays valid: the
 * addresses it covers are restored), for ICMP echo the whole message,
 * for any other protocol (GRE, ESP, SCTP, ICMP errors...) the whole IP
 * payload, one session per address pair and protocol.
 *
 * Fail closed: a LAN packet to a service prefix (or to the far host of a
 * session) is carried by SVR or dropped and counted by reason, never
 * passed in clear.  Fragments (IPv4 and IPv6) and IPv6 packets with
 * extension headers are dropped, not reassembled: hosts find the path
 * MTU (TCP's MSS is clamped to DP_TCP_MSS), and a packet SVR cannot read
 * whole it cannot check.  Only what goes elsewhere is DP_PASS.
 *
 * What an attacker can make it do is bounded.  A LAN host: TCP sessions
 * only from a SYN, max_per_source sessions per source address, sessions
 * its far end never answers gone after unanswered_ms (dp_limits), waypoint
 * ports from a free list and flows found by SipHash under a random key,
 * so a flood costs every other packet nothing more.  A peer: only
 * destinations this router serves (dp_add_local) or routes on as a hub;
 * a re-trigger request only when sealed with our metadata key by the
 * peer it comes from, newer than the last.  A commit: sessions belong
 * to a peer's name, never to its number.
 *
 * A router whose services send a session's destination to another peer is
 * a hub on the way: it keeps the session as two legs and relays it WAN to
 * WAN, checking tags and sequence numbers with the session's key but never
 * decrypting, and sealing the first packets' metadata again for the next
 * router.  The ingress router rotates each session's payload key every
 * rekey interval; the new key travels like the first, and both ends keep
 * the old one a minute for packets on their way.  doc/protocol.md has the
 * bytes of all of it.
 */
#ifndef SVR_DATAPATH_H
#define SVR_DATAPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "crypto.h"
#include "kex.h"
#include "svrmeta.h"

#define DP_PORT_MIN 16384
#define DP_PORT_MAX 65534
#define DP_MAX_PKT  65535
/* The largest TCP segment payload that keeps an SVR packet within a
 * 1500-byte WAN: 1500 - 48 (IPv6 and UDP) - 16 (a metadata header) - 16
 * (padding) - 32 (sequence number and tag) - 32 (TCP header with
 * options) = 1356, rounded down.  SYNs that offer more are clamped, so
 * no segment is ever fragmented on the way. */
#define DP_TCP_MSS 1340

enum dp_drop {
	DP_DROP_MALFORMED, /* not a packet we can read */
	DP_DROP_NO_KEY,	   /* the peer's keys are not there yet */
	DP_DROP_NO_SESSION,
	DP_DROP_REPLAY,	       /* a sequence number seen, or too old */
	DP_DROP_BAD_TAG,       /* the payload does not authenticate */
	DP_DROP_UNKNOWN_INDEX, /* metadata sealed with a key we do not hold */
	DP_DROP_BAD_METADATA,  /* metadata that does not parse or open */
	DP_DROP_STALE,	       /* a first packet from too long ago (or ahead) */
	DP_DROP_NO_PORT,       /* every waypoint port is in use */
	DP_DROP_UNSUPPORTED,   /* a protocol SVR does not carry here */
	DP_DROP_FRAGMENT,      /* an IPv4 or IPv6 fragment (never reassembled) */
	DP_DROP_EXT_HEADER,    /* an IPv6 extension header */
	DP_DROP_NOT_SYN,       /* a TCP segment other than a SYN with no session */
	DP_DROP_FOREIGN,       /* a first packet for a destination not ours */
	DP_DROP_SOURCE_LIMIT,  /* the source address has its share of sessions */
	DP_DROP_TABLE_FULL,    /* the session table is at its limit */
	DP_DROP_NO_EPOCH,      /* no sequence epoch left (svrd refills them) */
	DP_DROP_N
};

struct dp_stats {
	uint64_t lan_in, lan_out, wan_in, wan_out; /* packets */
	uint64_t lan_in_bytes, wan_out_bytes, wan_in_bytes, lan_out_bytes;
	uint64_t passed;  /* not SVR's: left to the kernel */
	uint64_t relayed; /* WAN to WAN, as a hub */
	uint64_t payload_rekeys;
	uint64_t retriggered; /* sessions whose metadata the far end asked for again */
	uint64_t sessions_created, sessions_expired;
	uint64_t drops[DP_DROP_N];
	/* work done for lookups: hash chain links followed and port
	 * allocations, so tests can check a flood leaves it flat */
	uint64_t probes, port_allocs;
};

const char *dp_drop_name(enum dp_drop d);

struct dp;

struct dp *dp_new(const char *router);
/* The metadata keys, pushed as the key engine changes them (kex.h's key
 * events; engine/keyring.h holds them): the datapath never asks for a
 * key.  A peer's number is the key engine's (struct dp_peer's ext).
 * dp_key_event: 0, or -1 when it could not be taken (the slot is then
 * empty: what needs it is dropped as DP_DROP_NO_KEY).  dp_keys_clear:
 * every key forgotten (key management stopped or started over). */
int dp_key_event(struct dp *dp, const struct kex_key_event *ev);
void dp_keys_clear(struct dp *dp);
void dp_free(struct dp *dp);

/* Configuration (svrd calls these on every commit, after dp_reset_config). */
void dp_reset_config(struct dp *dp);
/* Peer number peer (as the key engine numbers them): its name, its
 * waypoint address and ours facing it (IPv4 or IPv6 text).  Sessions are
 * bound to the name, not the number: a commit that renumbers peers keeps
 * each session with its router, and a peer that is gone takes its
 * sessions with it. */
int dp_add_peer(struct dp *dp, int peer, const char *name, const char *their_addr,
		const char *our_addr);
/* The identity the key engine knows peer number peer by (its peering
 * common name).  When it changes under the same name, the sessions made
 * with the old identity end: their keys were another router's. */
void dp_set_peer_identity(struct dp *dp, int peer, const char *identity);
/* A service: traffic to prefix goes to peer (by its number). */
int dp_add_service(struct dp *dp, const char *name, const char *prefix, int peer);
/* A prefix this router delivers to itself (a LAN subnet, a service it
 * serves through a next hop): a first packet from a peer whose
 * destination is neither in one of these nor routed to another peer (as
 * a hub) is dropped as DP_DROP_FOREIGN. */
int dp_add_local(struct dp *dp, const char *prefix);

/* How much of the session table any one party can take.  A session
 * whose far end has not answered yet (a SYN without a SYN-ACK, a
 * datagram without a reply) lives unanswered_ms idle, not the
 * protocol's timeout; max_per_source counts sessions by the source
 * address of the flow (a LAN host, or a far host for sessions a peer
 * made). */
struct dp_limits {
	uint32_t max_sessions;
	uint32_t max_per_source;
	uint64_t unanswered_ms;
};
#define DP_DEFAULT_MAX_SESSIONS	  65536
#define DP_DEFAULT_MAX_PER_SOURCE 4096
#define DP_DEFAULT_UNANSWERED_MS  20000
void dp_set_limits(struct dp *dp, const struct dp_limits *l);

/* Sequence epochs.  A session this router takes from metadata (the
 * ingress router's payload key, which may have been used with this
 * router before a restart) numbers its packets from epoch <<
 * DP_EPOCH_SHIFT, a new epoch each (and another each 2^20 packets),
 * taken from blocks svrd reserves in a persistent counter that only ever
 * grows: no clock step and no restart can make a sequence number, and
 * so an IV, repeat under one key.  2^44 epochs: 55 years of 10,000 new
 * sessions a second.  A block is first..first+count-1; one below what
 * the datapath was given before is refused (-1), one that follows the
 * last adds to it.  With none left a new session is dropped
 * (DP_DROP_NO_EPOCH); dp_epochs_left() says when to refill. */
#define DP_EPOCH_SHIFT 20
int dp_add_epochs(struct dp *dp, uint64_t first, uint64_t count);
uint64_t dp_epochs_left(const struct dp *dp);
/* The path MTU towards a peer (1500 until told): a first packet that
 * would not fit with its metadata sends the metadata ahead instead. */
void dp_set_peer_mtu(struct dp *dp, int peer, unsigned mtu);
/* The wall clock (ms since the epoch) at the time now_ms of the clock the
 * other calls are given (a monotonic one, for the timers): first packets
 * carry the wall clock (doc/protocol.md, TLV 0xF002) and are checked
 * against it.  Called again when the wall clock may have been set. */
void dp_set_wallclock(struct dp *dp, uint64_t now_ms, uint64_t wall_ms);
/* Rotate the payload key of the sessions this router made every
 * interval_ms (0: never).  The new key travels in metadata as the first
 * did; the old one stays DP_PREV_KEY_MS for packets on their way. */
void dp_set_rekey_interval(struct dp *dp, uint64_t interval_ms);
#define DP_PREV_KEY_MS 60000

enum dp_verdict {
	DP_PASS, /* not SVR's: let it go as it would */
	DP_SEND, /* send out->pkt, out->len (a whole IP packet) */
	DP_DROP, /* counted under the reason in out->drop */
	DP_DONE, /* taken: nothing to deliver (metadata that came on its own) */
};

/* Besides its verdict, a packet may make one more for the WAN: metadata
 * sent ahead of a first packet too large to carry it, or the egress
 * router's "I have the session" for a first packet; send it first. */
#define DP_EXTRA_MAX 1200

struct dp_out {
	uint8_t pkt[DP_MAX_PKT + 512];
	size_t len;
	enum dp_drop drop;
	uint8_t extra[DP_EXTRA_MAX];
	size_t extra_len; /* 0: none */
};

/* An IP packet that arrived from a LAN. */
enum dp_verdict dp_lan_in(struct dp *dp, const uint8_t *pkt, size_t len, uint64_t now_ms,
			  struct dp_out *out);
/* An IP packet that arrived from the WAN. */
enum dp_verdict dp_wan_in(struct dp *dp, const uint8_t *pkt, size_t len, uint64_t now_ms,
			  struct dp_out *out);
/* Expire idle sessions and rotate payload keys that are due; returns how
 * many sessions expired. */
size_t dp_tick(struct dp *dp, uint64_t now_ms);

const struct dp_stats *dp_stats(const struct dp *dp);
/* The counters from zero again (clear stats); sessions are untouched. */
void dp_stats_clear(struct dp *dp);
size_t dp_session_count(const struct dp *dp);

/* One session, as show sessions prints it (no key material). */
struct dp_session_info {
	uint8_t uuid[16];
	struct svr_ctx fwd;
	char peer[64], service[64];
	bool ingress, handshake_done;
	bool transit; /* one leg of a session relayed here */
	uint16_t port;
	uint64_t packets_out, packets_in, idle_ms;
	uint32_t rekeys; /* payload key rotations */
};
/* The sessions in table order: start with *cursor 0; each call fills
 * info with the next session at or after *cursor and moves *cursor past
 * it; false at the end.  A cursor stays valid across changes (a session
 * made or ended meanwhile may be missed or seen). */
bool dp_session_next(const struct dp *dp, size_t *cursor, uint64_t now_ms,
		     struct dp_session_info *info);
/* End the session whose UUID is uuid at once, as its idle time would
 * (counted as expired; both legs of a relayed one): its next packet
 * starts a new session with a new key.  false when there is none. */
bool dp_session_end(struct dp *dp, const uint8_t uuid[16]);

#endif
