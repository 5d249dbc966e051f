/* Peer paths: the UDP sockets (port 1280 on each local address that
 * faces a peer), the paths by address (a keyed hash, so any datagram
 * costs one short probe), and the datagrams: the tag checked before
 * anything is parsed, BFD, then the key-exchange message (peers_int.h). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libyang/libyang.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alarms.h"
#include "conditions.h"
#include "bfd.h"
#include "datastore.h"
#include "event.h"
#include "identity.h"
#include "json.h"
#include "kex.h"
#include "log.h"
#include "model.h"
#include "pcounter.h"
#include "peerpkt.h"
#include "pki.h"
#include "pkiconf.h"
#include "skmconf.h"
#include "sock.h"
#include "svrd.h"
#include "strbuf.h"
#include "svrmeta.h"
#include "peers_int.h"

static void on_packet(struct ev_io *io, int fd, unsigned events, void *arg);
static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b);

static int to_sockaddr(const char *ip, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return 0;
	}
	return -1;
}

static int sock_for(struct peers *ps, const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct lsock *ns;
	int fd, one = 1;

	for (int i = 0; i < ps->nsocks; i++)
		if (strcmp(ps->socks[i].addr, addr) == 0)
			return i;
	if (to_sockaddr(addr, BFD_PORT, &ss, &len) < 0)
		return -1;
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		log_warn("peer paths: cannot bind %s port %d", addr, BFD_PORT);
		close(fd);
		return -1;
	}
	ns = realloc(ps->socks, (size_t)(ps->nsocks + 1) * sizeof(*ns));
	if (!ns) {
		close(fd);
		return -1;
	}
	ps->socks = ns;
	ns[ps->nsocks].fd = fd;
	snprintf(ns[ps->nsocks].addr, sizeof(ns[0].addr), "%s", addr);
	ns[ps->nsocks].io = ev_io_add(ps->d->loop, fd, EV_READ, on_packet, ps);
	return ps->nsocks++;
}

static uint64_t addr_hash(const struct peers *ps, int sock, const struct sockaddr_storage *a)
{
	const uint8_t *b;
	size_t n;
	uint64_t h = ps->hash_key ^ (uint64_t)sock * 0x9e3779b97f4a7c15ull;

	if (a->ss_family == AF_INET) {
		b = (const uint8_t *)&((const struct sockaddr_in *)a)->sin_addr;
		n = 4;
	} else {
		b = (const uint8_t *)&((const struct sockaddr_in6 *)a)->sin6_addr;
		n = 16;
	}
	/* keyed with a secret drawn at start: no one can aim at one chain */
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
		h ^= h >> 29;
	}
	return h ^ (h >> 32);
}

void pp_index_paths(struct peers *ps)
{
	free(ps->slots);
	ps->slots = malloc(HASH_SLOTS * sizeof(*ps->slots));
	if (!ps->slots)
		return;
	for (int i = 0; i < HASH_SLOTS; i++)
		ps->slots[i] = -1;
	for (int i = 0; i < ps->npaths; i++) {
		uint64_t h = addr_hash(ps, ps->paths[i].sock, &ps->paths[i].dst);

		while (ps->slots[h % HASH_SLOTS] >= 0)
			h++;
		ps->slots[h % HASH_SLOTS] = (int16_t)i;
	}
}

static struct path *path_of(struct peers *ps, int sock, const struct sockaddr_storage *from)
{
	uint64_t h;

	if (!ps->slots)
		return NULL;
	for (h = addr_hash(ps, sock, from); ps->slots[h % HASH_SLOTS] >= 0; h++) {
		struct path *p = &ps->paths[ps->slots[h % HASH_SLOTS]];

		if (p->sock == sock && same_addr(&p->dst, from))
			return p;
	}
	return NULL;
}

/* Our address on network interface ni of the same family as ip. */
static const char *local_addr(const struct lyd_node *ni, const char *ip)
{
	bool v6 = strchr(ip, ':') != NULL;

	MODEL_FOR_CHILD(ni, "address", a)
	{
		const char *mine = model_leaf(a, "ip-address");

		if (mine && (strchr(mine, ':') != NULL) == v6)
			return mine;
	}
	return NULL;
}

void pp_add_paths(struct peers *ps, const struct lyd_node *node, const char *peer_name, int peer)
{
	MODEL_FOR_CHILD(node, "device-interface", di)
	MODEL_FOR_CHILD(di, "network-interface", ni)
	MODEL_FOR_CHILD(ni, "neighborhood", nb)
	MODEL_FOR_CHILD(nb, "adjacency", adj)
	{
		const char *ip = model_leaf(adj, "ip-address"), *who = model_leaf(adj, "peer");
		const char *mine = ip ? local_addr(ni, ip) : NULL;
		struct path *np, *p;
		int s;

		if (!ip || !who || strcmp(who, peer_name) != 0 || !mine ||
		    ps->npaths == MAX_PATHS || (s = sock_for(ps, mine)) < 0)
			continue;
		np = realloc(ps->paths, (size_t)(ps->npaths + 1) * sizeof(*np));
		if (!np)
			return;
		ps->paths = np;
		p = &np[ps->npaths];
		memset(p, 0, sizeof(*p));
		p->peer = peer;
		p->peer_name = strdup(peer_name);
		p->ifname = strdup(model_leaf(ni, "name"));
		p->sock = s;
		snprintf(p->dst_text, sizeof(p->dst_text), "%s", ip);
		to_sockaddr(ip, BFD_PORT, &p->dst, &p->dstlen);
		bfd_init(&p->bfd, (uint32_t)(ps->npaths + 1) * 0x1001u + (uint32_t)rand(),
			 (uint32_t)rand(), ev_now_ms());
		ps->npaths++;
	}
}

/* One path's addresses for peer rn (an IPv4 one wins over IPv6; the last
 * of a family, as the data plane has always taken them). */
static void view_path(const struct lyd_node *mynode, const char *rn, struct peer_view *pv)
{
	for (int v4 = 0; v4 < 2; v4++)
		MODEL_FOR_CHILD(mynode, "device-interface", di)
	MODEL_FOR_CHILD(di, "network-interface", ni)
	MODEL_FOR_CHILD(ni, "neighborhood", nb)
	MODEL_FOR_CHILD(nb, "adjacency", adj)
	{
		const char *ip = model_leaf(adj, "ip-address"), *who = model_leaf(adj, "peer");
		const char *mine = ip ? local_addr(ni, ip) : NULL;

		if (!mine || !who || strcmp(who, rn) != 0 || (strchr(ip, ':') == NULL) != (bool)v4)
			continue;
		snprintf(pv->dst, sizeof(pv->dst), "%s", ip);
		snprintf(pv->src, sizeof(pv->src), "%s", mine);
	}
}

/* The peers a configuration makes, numbered as the key engine will number
 * them (add_peers). */
void pp_view_of(const struct lyd_node *me, const struct lyd_node *mynode, bool eskm,
		struct peers_view *v)
{
	memset(v, 0, sizeof(*v));
	v->keyed = eskm;
	MODEL_FOR_CHILD(me, "peer", p)
	{
		const char *rn = model_leaf(p, "router-name") ?: model_leaf(p, "name");
		const char *ppcn = model_leaf(p, "peering-common-name");
		struct peer_view *nv;

		if (eskm && !ppcn)
			continue;
		nv = realloc(v->v, (size_t)(v->n + 1) * sizeof(*nv));
		if (!nv)
			return;
		v->v = nv;
		nv += v->n;
		memset(nv, 0, sizeof(*nv));
		nv->peer = v->n++;
		snprintf(nv->name, sizeof(nv->name), "%s", rn);
		snprintf(nv->identity, sizeof(nv->identity), "%s", eskm ? ppcn : "");
		view_path(mynode, rn, nv);
	}
}

void pp_send_path(struct peers *ps, struct path *p, const uint8_t *kmsg, size_t klen)
{
	uint8_t buf[PEERPKT_MAX], bfd[BFD_CTRL_LEN];
	size_t n;

	bfd_encode(&p->bfd, bfd);
	n = peerpkt_encode(buf, sizeof(buf), bfd, kmsg, klen, ps->kex, p->peer, ++p->tx_seq,
			   ev_now_ms());
	if (!n) {
		ps->tx_errors++;
		return;
	}
	if (sendto(ps->socks[p->sock].fd, buf, n, 0, (struct sockaddr *)&p->dst, p->dstlen) < 0)
		ps->tx_errors++;
	else
		p->ntx++;
}

void pp_flush_kex(struct peers *ps)
{
	int peer;
	const uint8_t *m;
	size_t len;

	while (ps->kex && kex_output(ps->kex, &peer, &m, &len))
		for (int i = 0; i < ps->npaths; i++)
			if (ps->paths[i].peer == peer)
				pp_send_path(ps, &ps->paths[i], m, len);
	pp_push_keys(ps);
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
}

static void bfd_in(struct peers *ps, struct path *p, const uint8_t *b, size_t len, uint64_t now)
{
	enum bfd_state was = p->bfd.state;

	if (!bfd_input(&p->bfd, b, len, now))
		return;
	if (p->bfd.remote_disc && p->bfd.remote_disc != p->peer_disc) {
		/* a new session at the far end: its peering restarted (svrd,
		 * reload, configuration), so whether it speaks key management
		 * is to be seen again */
		p->peer_disc = p->bfd.remote_disc;
		p->kex_heard = false;
	}
	if (was != BFD_UP && p->bfd.state == BFD_UP && ps->kex) {
		kex_path_up(ps->kex, p->peer, now);
		pp_flush_kex(ps);
	}
}

/* BFD control, then optionally an SVR metadata block with a key-exchange
 * message and the tag (engine/peerpkt.h).  Once the peer holds a key, the
 * tag is checked before anything is parsed: a datagram without a valid one
 * never touches BFD, and may carry only the messages that prove
 * themselves (kex_input). */
static void on_datagram(struct peers *ps, struct path *p, const uint8_t *b, size_t len)
{
	uint64_t now = ev_now_ms();
	struct peerpkt pk;
	enum kex_auth auth = KEX_AUTH_NONE;
	bool keyed = ps->kex && kex_auth_required(ps->kex, p->peer), authed;

	p->nrx++;
	peerpkt_find_tag(b, len, &pk);
	if (keyed && pk.tagged)
		auth = kex_auth_check(ps->kex, p->peer, pk.key_id, b, pk.signed_len, pk.tag, now);
	authed = auth == KEX_AUTH_OK;
	if (authed && !peerpkt_fresh(&p->rx, pk.key_id, pk.seq)) {
		p->replayed++;
		return;
	}
	if (keyed && !authed) {
		p->unauth++;
		if (!p->unauth_since) {
			p->unauth_since = now;
			p->unauth_kex = false;
		}
		p->unauth_last = now;
	} else {
		if (authed)
			p->unauth_since = 0;
		bfd_in(ps, p, b, len, now);
		pp_arm_sooner(ps, bfd_next_deadline(&p->bfd));
	}
	if (!ps->kex || peerpkt_parse(b, len, &pk) < 0 || !pk.kmsg)
		return; /* without key management the metadata is not ours to read */
	if (authed || !keyed)
		p->kex_heard = true;
	else
		p->unauth_kex = true;
	kex_set_wallclock(ps->kex, (int64_t)(ev_wallclock_ms() / 1000));
	kex_input(ps->kex, p->peer, pk.kmsg, pk.klen, authed, now);
	pp_flush_kex(ps);
	pp_save_learned_pins(ps);
}

static void on_packet(struct ev_io *io, int fd, unsigned events, void *arg)
{
	struct peers *ps = arg;
	uint8_t buf[16384];
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	ssize_t n;
	int sock = -1;

	(void)io;
	(void)events;
	for (int i = 0; i < ps->nsocks; i++)
		if (ps->socks[i].fd == fd)
			sock = i;
	/* a budget per turn: a flood on this socket cannot hold the one
	 * thread (the data plane's too) for longer than RX_BUDGET datagrams;
	 * the descriptor stays readable and we come back after the others */
	for (int k = 0; k < RX_BUDGET &&
			(n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl)) >= 0;
	     k++) {
		struct path *p = path_of(ps, sock, &from);

		if (p)
			on_datagram(ps, p, buf, (size_t)n);
		fl = sizeof(from);
	}
}
