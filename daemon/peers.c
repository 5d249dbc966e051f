/* DOC: peer paths
 *
 * svrd's side of the key engine: it turns the running configuration into
 * the engine's peers and paths, owns the UDP sockets (port 1280 on each
 * local address that faces a peer), runs BFD on every path and carries the
 * key-exchange messages after the BFD control packet, in an SVR metadata
 * block (doc/protocol.md).  The engine and BFD are sans-I/O; this file is
 * the only place with sockets and clocks for them.
 *
 * A configuration change rebuilds everything from scratch (peers, paths,
 * sockets, exchange): simple and always right, at the price of a new key
 * exchange on any change of the authority.
 */
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

#define MAX_PATHS  4096
#define HASH_SLOTS 8192 /* twice MAX_PATHS: open addressing stays short */
#define RX_BUDGET  64	/* datagrams per socket per turn of the event loop */
#define CTR_STEP   64	/* counter values reserved on disk at a time */

struct path {
	int peer;	 /* engine peer index */
	char *peer_name; /* the peer's router name */
	char *ifname;	 /* our network interface */
	int sock;	 /* index in socks */
	struct sockaddr_storage dst;
	socklen_t dstlen;
	char dst_text[64];
	struct bfd_session bfd;
	bool was_up;		  /* BFD has been up on this path */
	bool kex_heard;		  /* a key exchange message came in on this path ... */
	uint32_t peer_disc;	  /* ... since the peer's BFD session had this discriminator */
	struct peerpkt_replay rx; /* authenticated datagrams seen */
	uint32_t tx_seq;
	uint64_t unauth, replayed; /* datagrams not taken: no valid tag, seen before */
	uint64_t nrx, ntx;	   /* datagrams received and sent */
	/* untagged datagrams since the last tagged one: a peer that lost its
	 * keys, or stopped speaking key management, or a spoofer */
	uint64_t unauth_since, unauth_last;
	bool unauth_kex; /* ... one of them carried a key-exchange message */
};

struct lsock {
	int fd;
	struct ev_io *io;
	char addr[64];
};

struct peers {
	struct svrd *d;
	struct kex_engine *kex;
	struct pki_identity *id;
	struct pki_trust *trust;
	char *pcn;
	struct path *paths;
	int npaths;
	struct lsock *socks;
	int nsocks;
	struct ev_timer *timer;
	uint64_t tx_errors;
	/* the metadata key's schedule (peer-key-rekey-interval; 0: never) */
	uint64_t mkey_interval_ms;
	uint64_t mkey_since_ms;
	uint32_t mkey_changes;	 /* rotations and regenerations */
	uint32_t config_changes; /* rebuilds from the configuration */
	bool active;
	char *plan;			     /* what the peers and paths were built from */
	uint64_t alarms_ms;		     /* last evaluation */
	uint64_t crl_poll_ms, crl_polled_ms; /* the revocation lists' polling */
	char *client_cert_problem;	     /* why a client-certificate is not used */
	/* file:// revocation lists are also watched: a replaced list is read
	 * at once instead of at the next poll */
	int crl_watch;
	struct ev_io *crl_io;
	char **crl_files;
	int ncrl_files;
	bool crl_changed;
	char *crl_problem; /* a configured list that cannot be read */
	char *crl_text;	   /* what the lists said when last read */
	/* generations and metadata-key indexes never go back (lib/pcounter.h) */
	struct pcounter *ctr[2];
	char *km_problem; /* why key management cannot run, for the alarm */
	/* paths by (socket, far address): a keyed hash, so that datagrams
	 * from any address cost one short probe */
	int16_t *slots;
	uint64_t hash_key;
	struct peers_next *next; /* what a commit prepared */
	struct peers_view view;	 /* what the listeners were told */
	struct {
		peers_listener fn;
		void *arg;
	} listeners[4];
	int nlisteners;
};

static void unwatch_crls(struct peers *ps)
{
	ev_io_del(ps->crl_io);
	ps->crl_io = NULL;
	if (ps->crl_watch > 0)
		close(ps->crl_watch);
	ps->crl_watch = -1;
	for (int i = 0; i < ps->ncrl_files; i++)
		free(ps->crl_files[i]);
	free(ps->crl_files);
	ps->crl_files = NULL;
	ps->ncrl_files = 0;
}

static void on_crl_dir(struct ev_io *io, int fd, unsigned events, void *arg)
{
	struct peers *ps = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	(void)io;
	(void)events;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const struct inotify_event *)p;

			for (int i = 0; e->len && i < ps->ncrl_files; i++) {
				const char *base = strrchr(ps->crl_files[i], '/');

				if (base && strcmp(base + 1, e->name) == 0)
					ps->crl_changed = true;
			}
			p += sizeof(*e) + e->len;
		}
	if (ps->crl_changed)
		ev_timer_arm(ps->timer, 0, 0); /* read it at once */
}

/* Watch the folder of a file:// revocation list for the file being
 * written or replaced (editors and openssl write a new file and rename). */
static void watch_crl(struct peers *ps, const char *file)
{
	char dir[4096], **nf;
	char *slash;

	if (ps->crl_watch < 0) {
		ps->crl_watch = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (ps->crl_watch < 0)
			return;
		ps->crl_io = ev_io_add(ps->d->loop, ps->crl_watch, EV_READ, on_crl_dir, ps);
	}
	snprintf(dir, sizeof(dir), "%s", file);
	slash = strrchr(dir, '/');
	if (!slash)
		return;
	*slash = '\0';
	nf = realloc(ps->crl_files, (size_t)(ps->ncrl_files + 1) * sizeof(*nf));
	if (!nf)
		return;
	ps->crl_files = nf;
	nf[ps->ncrl_files] = strdup(file);
	if (nf[ps->ncrl_files])
		ps->ncrl_files++;
	inotify_add_watch(ps->crl_watch, *dir ? dir : "/",
			  IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE);
}

static void teardown(struct peers *ps)
{
	for (int i = 0; i < ps->nsocks; i++) {
		ev_io_del(ps->socks[i].io);
		close(ps->socks[i].fd);
	}
	for (int i = 0; i < ps->npaths; i++) {
		free(ps->paths[i].peer_name);
		free(ps->paths[i].ifname);
	}
	free(ps->socks);
	free(ps->paths);
	ps->socks = NULL;
	ps->paths = NULL;
	ps->nsocks = ps->npaths = 0;
	kex_free(ps->kex);
	ps->kex = NULL;
	pki_identity_free(ps->id);
	ps->id = NULL;
	pki_trust_free(ps->trust);
	ps->trust = NULL;
	free(ps->pcn);
	ps->pcn = NULL;
	free(ps->plan);
	ps->plan = NULL;
	/* the alarms of old peers and paths: the next evaluation clears
	 * those whose subject is gone and keeps those that still hold */
	free(ps->client_cert_problem);
	unwatch_crls(ps);
	ps->client_cert_problem = NULL;
	free(ps->crl_problem);
	ps->crl_problem = NULL;
	free(ps->crl_text);
	ps->crl_text = NULL;
	free(ps->km_problem);
	ps->km_problem = NULL;
	free(ps->slots);
	ps->slots = NULL;
}

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

static void on_packet(struct ev_io *io, int fd, unsigned events, void *arg);

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

/* ---- paths by address --------------------------------------------------- */

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

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b);

static void index_paths(struct peers *ps)
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

static void add_paths(struct peers *ps, const struct lyd_node *node, const char *peer_name,
		      int peer)
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

static void flush_kex(struct peers *ps);
static void peers_now(struct peers *ps, bool always);
static void arm(struct peers *ps);

/* Everything the peers and paths are built from, as text: when a commit
 * leaves it unchanged, the exchanges and keys stay as they are. */
static char *plan_of(const struct lyd_node *auth, const struct lyd_node *me,
		     const struct lyd_node *mynode, bool eskm)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "eskm %d\npcn %s\n", eskm, model_leaf(me, "peering-common-name") ?: "");
	MODEL_FOR_CHILD(auth, "trusted-ca-certificate", ca)
	strbuf_addf(&sb, "ca %s %s\n", model_leaf(ca, "validation-mode") ?: "",
		    model_leaf(ca, "content") ?: "");
	MODEL_FOR_CHILD(auth, "client-certificate", cc)
	strbuf_addf(&sb, "cc %s %s\n", model_leaf(cc, "file") ?: "",
		    model_leaf(cc, "validation-mode") ?: "");
	/* the lists' URLs: their content changes without a commit, and a new
	 * content validates the pinned certificates again (reload_crls) */
	MODEL_FOR_CHILD(auth, "certificate-revocation-list", crl)
	strbuf_addf(&sb, "crl %s\n", model_leaf(crl, "url") ?: "");
	MODEL_FOR_CHILD(me, "peer", p)
	strbuf_addf(&sb, "peer %s %s %s\n", model_leaf(p, "name"),
		    model_leaf(p, "router-name") ?: "", model_leaf(p, "peering-common-name") ?: "");
	MODEL_FOR_CHILD(auth, "router", r)
	strbuf_addf(&sb, "fp %s %s\n", model_leaf(r, "name"),
		    model_leaf(r, "peering-key-fingerprint") ?: "");
	MODEL_FOR_CHILD(mynode, "device-interface", di)
	MODEL_FOR_CHILD(di, "network-interface", ni)
	{
		MODEL_FOR_CHILD(ni, "address", a)
		strbuf_addf(&sb, "addr %s %s\n", model_leaf(ni, "name"),
			    model_leaf(a, "ip-address"));
		MODEL_FOR_CHILD(ni, "neighborhood", nb)
		MODEL_FOR_CHILD(nb, "adjacency", adj)
		strbuf_addf(&sb, "adj %s %s %s\n", model_leaf(ni, "name"),
			    model_leaf(adj, "ip-address"), model_leaf(adj, "peer") ?: "");
	}
	return strbuf_steal(&sb);
}

static void set_timers(struct peers *ps, const struct skm_conf *k)
{
	kex_set_fail_hard(ps->kex, k->fail_hard);
	kex_set_timers(ps->kex, k->retransmit_ms, k->timeout_ms);
	if (k->peer_rekey_ms != ps->mkey_interval_ms) {
		ps->mkey_interval_ms = k->peer_rekey_ms;
		ps->mkey_since_ms = ev_now_ms(); /* a new schedule starts now */
	}
}

static void evaluate_alarms(struct peers *ps);

/* ---- trust: CAs and revocation lists -------------------------------------- */

/* The revocation lists again (polled, or a file changed): a new content
 * validates the pinned certificates again, keys kept unless fail-hard
 * says otherwise; nothing is rebuilt. */
static void reload_crls(struct peers *ps)
{
	const struct lyd_node *auth = NULL, *me = NULL, *mynode = NULL;
	struct pki_trust *t;
	char *text = NULL, *problem = NULL;

	if (!ps->kex)
		return;
	model_find_self(ds_running(ps->d->ds), ps->d->router, ps->d->node, &auth, &me, &mynode);
	t = pkiconf_trust(auth, &text, &problem);
	if (!t || (text && ps->crl_text && strcmp(text, ps->crl_text) == 0 &&
		   !problem == !ps->crl_problem)) {
		pki_trust_free(t);
		free(text);
		free(problem);
		return;
	}
	kex_set_trust(ps->kex, t, (int64_t)(ev_wallclock_ms() / 1000), ev_now_ms());
	pki_trust_free(ps->trust);
	ps->trust = t;
	free(ps->crl_text);
	ps->crl_text = text;
	free(ps->crl_problem);
	ps->crl_problem = problem;
	log_info("certificate revocation lists read again: pinned certificates validated again");
	flush_kex(ps);
	peers_now(ps, false);
}

/* ---- key pins ------------------------------------------------------------------ */

static void pins_path(const struct peers *ps, char *buf, size_t len)
{
	snprintf(buf, len, "%s/pki/pins", ps->d->state_dir);
}

static bool unhex_fp(const char *hex, uint8_t fp[PKI_FP_LEN])
{
	size_t n = 0;

	for (const char *c = hex; c && *c && n < 2 * PKI_FP_LEN; c++) {
		int v = *c >= '0' && *c <= '9'	 ? *c - '0'
			: *c >= 'a' && *c <= 'f' ? *c - 'a' + 10
			: *c >= 'A' && *c <= 'F' ? *c - 'A' + 10
						 : -1;

		if (*c == ':')
			continue;
		if (v < 0)
			return false;
		if (n % 2 == 0)
			fp[n / 2] = (uint8_t)(v << 4);
		else
			fp[n / 2] |= (uint8_t)v;
		n++;
	}
	return n == 2 * PKI_FP_LEN;
}

/* The space before the fingerprint of a pins line when the line is pcn's,
 * else NULL. */
static char *pin_line_of(char *line, const char *pcn)
{
	char *sp = strrchr(line, ' ');

	return sp && (size_t)(sp - line) == strlen(pcn) && strncmp(line, pcn, strlen(pcn)) == 0
		       ? sp
		       : NULL;
}

/* The key persisted for pcn (pinned on first use or accepted) in pins,
 * the pins file's text read once for all peers, if any. */
static bool learned_pin(const char *pins, const char *pcn, uint8_t fp[PKI_FP_LEN])
{
	size_t n = strlen(pcn);

	for (const char *l = pins; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char hex[2 * PKI_FP_LEN + 1];

		/* "PCN HEX": the fingerprint is the line's last word */
		if (strncmp(l, pcn, n) == 0 && l[n] == ' ' &&
		    sscanf(l + n + 1, "%64[0-9a-fA-F]", hex) == 1 && unhex_fp(hex, fp))
			return true;
	}
	return false;
}

/* Persist a pin (replacing pcn's line): write a new file, then rename. */
static int save_pin(const struct peers *ps, const char *pcn, const uint8_t fp[PKI_FP_LEN])
{
	char path[4200], tmp[4300], *text, *line, *save = NULL;
	struct strbuf sb = STRBUF_INIT;
	FILE *f;
	int rc = -1;

	pins_path(ps, path, sizeof(path));
	text = pkiconf_read_text(path);
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		if (!pin_line_of(line, pcn))
			strbuf_addf(&sb, "%s\n", line);
	free(text);
	strbuf_addf(&sb, "%s ", pcn);
	for (int i = 0; i < PKI_FP_LEN; i++)
		strbuf_addf(&sb, "%02x", fp[i]);
	strbuf_addf(&sb, "\n");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (f) {
		rc = fwrite(sb.buf, 1, sb.len, f) == sb.len && fflush(f) == 0 &&
				     fsync(fileno(f)) == 0
			     ? 0
			     : -1;
		if (fclose(f) != 0 || rc < 0 || rename(tmp, path) < 0)
			rc = -1;
	}
	if (rc < 0) {
		unlink(tmp);
		log_warn("key pins: cannot write %s", path);
	}
	strbuf_free(&sb);
	return rc;
}

static void save_learned_pins(struct peers *ps)
{
	uint8_t fp[PKI_FP_LEN];
	int p;

	while (ps->kex && kex_take_learned_pin(ps->kex, &p, fp)) {
		log_info("key pin for peer %s saved", kex_peer_pcn(ps->kex, p));
		save_pin(ps, kex_peer_pcn(ps->kex, p), fp);
	}
}

/* The fingerprint configured for router rn (peering-key-fingerprint). */
static bool configured_pin(const struct lyd_node *auth, const char *rn, uint8_t fp[PKI_FP_LEN])
{
	MODEL_FOR_CHILD(auth, "router", r)
	{
		const char *name = model_leaf(r, "name"), *hex;

		if (name && strcmp(name, rn) == 0 &&
		    (hex = model_leaf(r, "peering-key-fingerprint")))
			return unhex_fp(hex, fp);
	}
	return false;
}

static void pin_peer(struct peers *ps, const struct lyd_node *auth, const char *pins,
		     const char *rn, const char *ppcn, int idx)
{
	uint8_t fp[PKI_FP_LEN];

	if (configured_pin(auth, rn, fp))
		kex_set_pin(ps->kex, idx, fp, true);
	else if (learned_pin(pins, ppcn, fp))
		kex_set_pin(ps->kex, idx, fp, false);
}

/* ---- the counters ----------------------------------------------------------- */

static int next_number(void *arg, enum kex_number kind, uint32_t *out)
{
	struct peers *ps = arg;
	uint64_t v;

	if (pcounter_reserve(ps->ctr[kind], 1, &v) < 0 || v > UINT32_MAX) {
		log_warnx("key engine: the %s counter cannot advance",
			  kind == KEX_NUMBER_GEN ? "generation" : "metadata-key index");
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

static int open_counters(struct peers *ps, char *err, size_t errlen)
{
	static const char *const names[2] = {"kex-generation", "kex-metadata-index"};
	char path[4200];

	for (int k = 0; k < 2; k++) {
		if (ps->ctr[k])
			continue;
		snprintf(path, sizeof(path), "%s/%s", ps->d->state_dir, names[k]);
		ps->ctr[k] = pcounter_open(path, CTR_STEP, err, errlen);
		if (!ps->ctr[k])
			return -1;
	}
	return 0;
}

/* ---- building from the configuration ------------------------------------------ */

/* What a commit prepared: what the peers will be built from, and, when
 * that changed, every resource the new key engine needs, acquired before
 * anything changes (datastore.h). */
struct peers_next {
	bool prepared;
	bool restart; /* start over with what follows; false: timers only */
	char *plan;
	struct pki_identity *id; /* NULL with km_problem: key management cannot run */
	char *id_problem;	 /* why a configured client-certificate is not used */
	struct pki_trust *trust;
	char *crl_text, *crl_problem;
	char *km_problem;
	struct peers_view view; /* what the peers will be */
	struct skm_conf skm;	/* security-key-management, typed */
};

static void next_free(struct peers_next *n)
{
	free(n->view.v);
	pki_identity_free(n->id);
	pki_trust_free(n->trust);
	free(n->plan);
	free(n->id_problem);
	free(n->crl_text);
	free(n->crl_problem);
	free(n->km_problem);
	memset(n, 0, sizeof(*n));
}

/* A resource cannot be had: an error for the commit (e), or at start
 * (no commit to refuse) the reason key management does not run. */
static int acquire_fail(struct peers_next *n, struct ds_errs *e, const char *what, const char *err)
{
	if (e)
		ds_errs_add(e, false, NULL, "%s: %s", what, err);
	else if (asprintf(&n->km_problem, "%s: %s", what, err) < 0)
		n->km_problem = NULL;
	return -1;
}

/* The node identity, the key counters and the trust store for pcn. */
static int acquire(struct peers *ps, const struct lyd_node *auth, const char *pcn,
		   struct peers_next *n, struct ds_errs *e)
{
	int64_t now = (int64_t)(ev_wallclock_ms() / 1000);
	char dir[4096], err[256];

	n->id = pkiconf_client_identity(auth, ps->d->state_dir, pcn, now, &n->id_problem, e);
	if (e && ds_errs_count(e))
		return -1;
	snprintf(dir, sizeof(dir), "%s/pki", ps->d->state_dir);
	mkdir(dir, 0700);
	if (!n->id && !(n->id = identity_open(dir, pcn, now, 365, err, sizeof(err))))
		return acquire_fail(n, e, "the node identity cannot be loaded or made", err);
	if (open_counters(ps, err, sizeof(err)) < 0) {
		pki_identity_free(n->id);
		n->id = NULL;
		return acquire_fail(n, e, "the key counters cannot be read", err);
	}
	n->trust = pkiconf_trust(auth, &n->crl_text, &n->crl_problem);
	if (!n->trust) {
		pki_identity_free(n->id);
		n->id = NULL;
		return acquire_fail(n, e, "the trust store cannot be made", "out of memory");
	}
	return 0;
}

/* ---- what the listeners are told ----------------------------------------- */

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
static void view_of(const struct lyd_node *me, const struct lyd_node *mynode, bool eskm,
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

static void emit(struct peers *ps, enum peers_event ev, const struct peers_view *v)
{
	for (int i = 0; i < ps->nlisteners; i++)
		ps->listeners[i].fn(ps->listeners[i].arg, ev, v);
}

static bool rejected(const struct peers *ps, int peer);

/* Tell the listeners what the peers are now, when it changed (refused
 * peers come and go with certificates, outside any commit). */
static void peers_now(struct peers *ps, bool always)
{
	bool changed = always;

	ps->view.keyed = ps->kex != NULL;
	for (int i = 0; i < ps->view.n; i++) {
		bool r = rejected(ps, ps->view.v[i].peer);

		changed |= r != ps->view.v[i].refused;
		ps->view.v[i].refused = r;
	}
	if (changed)
		emit(ps, PEERS_NOW, &ps->view);
}

/* Build the next state from tree (the configuration to be committed, or
 * running at start: e NULL).  0, or -1 with e saying why. */
static int prepare_next(struct peers *ps, const struct lyd_node *tree, struct peers_next *n,
			struct ds_errs *e)
{
	const struct lyd_node *auth = NULL, *me = NULL, *mynode = NULL;
	const char *pcn = NULL;
	bool eskm;

	next_free(n);
	n->prepared = true;
	model_find_self(tree, ps->d->router, ps->d->node, &auth, &me, &mynode);
	if (e)
		pkiconf_check_cas(auth, e);
	if (e && ds_errs_count(e))
		return -1;
	skm_conf_read(ds_ctx(ps->d->ds), auth, &n->skm);
	eskm = auth && n->skm.on;
	if (eskm)
		pcn = model_leaf(me, "peering-common-name");
	n->restart = true;
	if (!me || !mynode || (eskm && !pcn))
		return 0; /* no peers */
	view_of(me, mynode, eskm, &n->view);
	n->plan = plan_of(auth, me, mynode, eskm);
	if (ps->plan && n->plan && strcmp(n->plan, ps->plan) == 0 && (ps->kex || !eskm)) {
		n->restart = false; /* same peers and paths: only timers and the algorithm */
		return 0;
	}
	return eskm ? acquire(ps, auth, pcn, n, e) : 0;
}

/* Key management cannot run: say why (CRITICAL alarm) and run none. */
static void km_fail(struct peers *ps, const char *problem)
{
	free(ps->km_problem);
	ps->km_problem = problem ? strdup(problem) : NULL;
	log_warnx("peer paths: %s", problem ? problem : "key management cannot run");
}

/* Start the key engine with what was prepared (n's resources are taken). */
static bool start_engine(struct peers *ps, const struct lyd_node *auth, const char *pcn,
			 struct peers_next *n)
{
	struct kex_config cfg = {0};

	if (!n->id) {
		km_fail(ps, n->km_problem);
		return false;
	}
	ps->id = n->id;
	ps->trust = n->trust;
	ps->client_cert_problem = n->id_problem;
	ps->crl_text = n->crl_text;
	ps->crl_problem = n->crl_problem;
	n->id = NULL;
	n->trust = NULL;
	n->id_problem = n->crl_text = n->crl_problem = NULL;
	ps->crl_poll_ms = 0;
	MODEL_FOR_CHILD(auth, "certificate-revocation-list", crl)
	{
		uint64_t every = strtoull(model_leaf_or_default(ds_ctx(ps->d->ds), crl,
								"/opensvr:authority/"
								"certificate-revocation-list/"
								"polling-interval")
						  ?: "3600",
					  NULL, 10) *
				 1000;
		const char *url = model_leaf(crl, "url");

		if (!ps->crl_poll_ms || every < ps->crl_poll_ms)
			ps->crl_poll_ms = every;
		if (url && strncmp(url, "file://", 7) == 0)
			watch_crl(ps, url + 7);
	}
	ps->crl_polled_ms = ev_now_ms();
	ps->pcn = strdup(pcn);
	cfg.pcn = ps->pcn;
	cfg.id = ps->id;
	cfg.trust = ps->trust;
	cfg.alg = n->skm.alg;
	cfg.retransmit_ms = n->skm.retransmit_ms;
	cfg.timeout_ms = n->skm.timeout_ms;
	cfg.fail_hard = n->skm.fail_hard;
	MODEL_FOR_CHILD(auth, "trusted-ca-certificate", ca)
	cfg.untrusted_ok |= strcmp(model_leaf(ca, "validation-mode") ?: "strict", "warn") == 0;
	cfg.next_number = next_number;
	cfg.number_arg = ps;
	ps->kex = kex_new(&cfg, ev_now_ms());
	if (!ps->kex) {
		km_fail(ps, "the key engine cannot start: no metadata-key index");
		return false;
	}
	ps->mkey_interval_ms = UINT64_MAX; /* set_timers starts the schedule */
	set_timers(ps, &n->skm);
	ps->config_changes++;
	ps->active = true;
	return true;
}

/* The peers of the configuration, each with its paths. */
static void add_peers(struct peers *ps, const struct lyd_node *auth, const struct lyd_node *me,
		      const struct lyd_node *mynode, bool eskm)
{
	char *pins = NULL;
	int npeers = 0;

	if (eskm) {
		char path[4200];

		pins_path(ps, path, sizeof(path));
		pins = pkiconf_read_text(path);
	}
	MODEL_FOR_CHILD(me, "peer", p)
	{
		const char *rn = model_leaf(p, "router-name") ?: model_leaf(p, "name");
		const char *ppcn = model_leaf(p, "peering-common-name");
		int idx;

		if (eskm && !ppcn)
			continue;
		/* without key management: BFD only, peers numbered here */
		idx = eskm ? kex_add_peer(ps->kex, ppcn) : npeers++;
		if (eskm)
			pin_peer(ps, auth, pins, rn, ppcn, idx);
		add_paths(ps, mynode, rn, idx);
	}
	free(pins);
	index_paths(ps);
}

/* Swap the prepared state in (it cannot fail: what could, was done in
 * prepare_next). */
static void apply_next(struct peers *ps, const struct lyd_node *running, struct peers_next *n)
{
	const struct lyd_node *auth = NULL, *me = NULL, *mynode = NULL;
	bool eskm;

	model_find_self(running, ps->d->router, ps->d->node, &auth, &me, &mynode);
	free(ps->view.v);
	ps->view = n->view;
	memset(&n->view, 0, sizeof(n->view));
	if (!n->restart) {
		if (ps->kex) {
			set_timers(ps, &n->skm);
			kex_set_alg(ps->kex, n->skm.alg, ev_now_ms());
			flush_kex(ps);
			ps->config_changes++;
		}
		next_free(n);
		return;
	}
	teardown(ps);
	ps->active = false;
	ps->plan = n->plan;
	n->plan = NULL;
	eskm = auth && n->skm.on;
	if (ps->plan &&
	    (!eskm || start_engine(ps, auth, model_leaf(me, "peering-common-name"), n))) {
		add_peers(ps, auth, me, mynode, eskm);
		log_info("peer paths: %d path(s) on %d socket(s)%s%s", ps->npaths, ps->nsocks,
			 eskm ? " as " : ", without key management", eskm ? ps->pcn : "");
	}
	next_free(n);
}

/* Outside a commit (start, reload): what cannot be had becomes an alarm. */
static void rebuild(struct peers *ps, const struct lyd_node *running)
{
	struct peers_next n = {0};

	prepare_next(ps, running, &n, NULL);
	apply_next(ps, running, &n);
	evaluate_alarms(ps); /* what the configuration implies, at once */
	peers_now(ps, true);
	arm(ps);
}

/* ---- datagrams ----------------------------------------------------------- */

static void send_path(struct peers *ps, struct path *p, const uint8_t *kmsg, size_t klen)
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

static void flush_kex(struct peers *ps)
{
	int peer;
	const uint8_t *m;
	size_t len;

	while (ps->kex && kex_output(ps->kex, &peer, &m, &len))
		for (int i = 0; i < ps->npaths; i++)
			if (ps->paths[i].peer == peer)
				send_path(ps, &ps->paths[i], m, len);
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
		flush_kex(ps);
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
	}
	if (!ps->kex || peerpkt_parse(b, len, &pk) < 0 || !pk.kmsg)
		return; /* without key management the metadata is not ours to read */
	if (authed || !keyed)
		p->kex_heard = true;
	else
		p->unauth_kex = true;
	kex_set_wallclock(ps->kex, (int64_t)(ev_wallclock_ms() / 1000));
	kex_input(ps->kex, p->peer, pk.kmsg, pk.klen, authed, now);
	flush_kex(ps);
	save_learned_pins(ps);
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
	arm(ps); /* what came in may move a deadline (a BFD final, a retransmission) */
}

/* Peer p's certificate was refused under fail-hard: its paths are held
 * administratively down until a valid one comes in. */
static bool rejected(const struct peers *ps, int peer)
{
	struct kex_peer_state s;

	if (!ps->kex || !kex_fail_hard(ps->kex))
		return false;
	kex_peer_state(ps->kex, peer, &s);
	return !s.cert_rec && strcmp(s.cert_verdict, "valid") != 0 &&
	       strcmp(s.cert_verdict, "none") != 0;
}

/* How long a peer's path must be up, with nothing from its key exchange,
 * before we say it does not speak it: our certificate goes out the moment
 * a path comes up and a peer that speaks it answers at once. */
#define ESKM_SILENCE_MS 10000

/* Raise or clear the alarms of what the paths and peers show now. */
static void evaluate_alarms(struct peers *ps)
{
	struct alarm_store *as = ps->d->alarms;
	int64_t now = (int64_t)(ev_wallclock_ms() / 1000);
	uint64_t mono = ev_now_ms();

	if (!as)
		return;
	alarm_round_begin(as);
	for (int i = 0; i < ps->npaths; i++) {
		struct path *p = &ps->paths[i];
		enum alarm_path_state st = ALARM_PATH_NEVER_UP;

		if (p->bfd.state == BFD_UP) {
			p->was_up = true;
			st = ALARM_PATH_UP;
		} else if (p->bfd.state == BFD_ADMIN_DOWN) {
			st = ALARM_PATH_OUT_OF_SERVICE;
		} else if (p->was_up) {
			st = ALARM_PATH_DOWN;
		}
		alarm_eval_path(as, p->peer_name, p->ifname, p->dst_text, st, now);
	}
	for (int i = 0; i < ps->npaths; i++) {
		struct path *p = &ps->paths[i];
		struct kex_peer_state s;
		bool any_up = false, any_was = false, heard = false, long_up = false, bare = false;

		if (i > 0 && ps->paths[i - 1].peer == p->peer)
			continue; /* once per peer */
		for (int k = i; k < ps->npaths && ps->paths[k].peer == p->peer; k++) {
			const struct path *q = &ps->paths[k];

			any_up |= q->bfd.state == BFD_UP;
			any_was |= q->was_up;
			heard |= q->kex_heard;
			long_up |= q->bfd.state == BFD_UP &&
				   mono - q->bfd.up_since_ms >= ESKM_SILENCE_MS;
			/* keyed, and the peer has been sending bare BFD (no tag, no
			 * key exchange) for as long: it stopped speaking it */
			bare |= q->bfd.state != BFD_UP && q->unauth_since && !q->unauth_kex &&
				mono - q->unauth_since >= ESKM_SILENCE_MS &&
				mono - q->unauth_last < 3000;
		}
		alarm_eval_peer_reachable(as, p->peer_name, any_up, any_was, now);
		if (!ps->kex)
			continue;
		alarm_eval_peer_eskm(as, p->peer_name, (long_up && !heard) || bare, now);
		kex_peer_state(ps->kex, p->peer, &s);
		alarm_eval_peer_cert(as, p->peer_name, s.cert_verdict, s.cert_detail,
				     s.cert_not_after, now);
		alarm_eval_peer_key(as, p->peer_name, s.key_conflict, s.offered_fp, s.pinned_fp,
				    now);
		alarm_eval_peer_refused(as, p->peer_name, s.refused, s.refused_detail,
					s.cert_not_after != 0, now);
	}
	alarm_eval_key_management(as, ps->d->router, ps->km_problem, now);
	alarm_eval_crl(as, ps->d->router, ps->crl_problem, kex_fail_hard(ps->kex), now);
	alarm_eval_local_cert(as, ps->d->router, ps->id ? pki_identity_not_after(ps->id) : 0, now);
	alarm_eval_client_cert(as, ps->d->router, ps->client_cert_problem, now);
	/* peers and paths no longer configured */
	alarm_round_end(as, "path-down:", now);
	alarm_round_end(as, "peer-", now);
}

/* The timer goes off at the next thing due: a BFD packet or detection
 * time, a key-exchange retransmission or timeout, the metadata key's
 * schedule, the revocation lists' polling, and once a second at most for
 * the alarms (and what the key engine does on its own coarse clock). */
static void arm(struct peers *ps)
{
	uint64_t now = ev_now_ms(), next = ps->alarms_ms + 1000, d;

	for (int i = 0; i < ps->npaths; i++)
		if ((d = bfd_next_deadline(&ps->paths[i].bfd)) && d < next)
			next = d;
	if (ps->kex && (d = kex_next_deadline(ps->kex)) < next)
		next = d;
	if (ps->kex && ps->mkey_interval_ms && ps->mkey_since_ms + ps->mkey_interval_ms < next)
		next = ps->mkey_since_ms + ps->mkey_interval_ms;
	if (ps->kex && ps->crl_poll_ms && ps->crl_polled_ms + ps->crl_poll_ms < next)
		next = ps->crl_polled_ms + ps->crl_poll_ms;
	ev_timer_arm(ps->timer, next > now ? next - now : 0, 0);
}

static void tick(struct peers *ps)
{
	uint64_t now = ev_now_ms();
	uint8_t pkt[BFD_CTRL_LEN];

	for (int i = 0; i < ps->npaths; i++)
		if (bfd_tick(&ps->paths[i].bfd, now, pkt))
			send_path(ps, &ps->paths[i], NULL, 0);
	if (now - ps->alarms_ms >= 1000 && !ps->kex) {
		/* no engine: the alarms still say why (key management down) */
		ps->alarms_ms = now;
		evaluate_alarms(ps);
	}
	if (!ps->kex)
		return;
	if (ps->mkey_interval_ms && now - ps->mkey_since_ms >= ps->mkey_interval_ms) {
		uint32_t index;

		/* peer-key-rekey-interval */
		peers_rekey(ps, &index);
		log_info("peer keys renewed; metadata key rekey index %u", index);
	}
	kex_tick(ps->kex, now);
	flush_kex(ps);
	if (ps->crl_changed || (ps->crl_poll_ms && now - ps->crl_polled_ms >= ps->crl_poll_ms)) {
		ps->crl_changed = false;
		/* a changed list validates the pinned certificates again; an
		 * unchanged one leaves everything as it is */
		ps->crl_polled_ms = now;
		reload_crls(ps);
	}
	if (now - ps->alarms_ms >= 1000) {
		ps->alarms_ms = now;
		/* fail-hard: peers whose certificates ran out lose their keys */
		if (kex_enforce(ps->kex, (int64_t)(ev_wallclock_ms() / 1000), now) > 0) {
			log_warnx("invalid-certificate-behavior fail-hard: peering removed with a "
				  "peer whose certificate expired");
			flush_kex(ps);
		}
		/* paths of refused peers held down, released once valid */
		for (int i = 0; i < ps->npaths; i++)
			bfd_set_admin_down(&ps->paths[i].bfd, rejected(ps, ps->paths[i].peer), now);
		evaluate_alarms(ps);
		peers_now(ps, false); /* a peer refused or taken again */
	}
}

static void on_timer(struct ev_timer *t, void *arg)
{
	(void)t;
	tick(arg);
	arm(arg);
}

/* ---- configuration and state -------------------------------------------- */

static int sub_prepare(void *arg, const struct lyd_node *diff, const struct lyd_node *tree,
		       unsigned flags, struct ds_errs *e)
{
	struct peers *ps = arg;

	(void)diff;
	(void)flags; /* nothing here disturbs what runs: a check acquires too */
	if (!ps->next && !(ps->next = calloc(1, sizeof(*ps->next)))) {
		ds_errs_add(e, false, NULL, "peer paths: out of memory");
		return -1;
	}
	if (prepare_next(ps, tree, ps->next, e) < 0)
		return -1;
	emit(ps, PEERS_NEXT, &ps->next->view);
	return 0;
}

static void sub_apply(void *arg, const struct lyd_node *diff, const struct lyd_node *running)
{
	struct peers *ps = arg;
	struct peers_next none = {0};

	(void)diff;
	apply_next(ps, running, ps->next ? ps->next : &none);
	evaluate_alarms(ps); /* what the configuration implies, at once */
	peers_now(ps, true);
	arm(ps);
}

static void sub_abort(void *arg)
{
	struct peers *ps = arg;

	if (ps->next)
		next_free(ps->next);
}

/* ---- the RPCs the peers serve ------------------------------------------------ */

#define KM_OFF "enhanced security key management is not running on this node"

static int rpc_reload(void *arg, const struct json *input, struct json **out, struct ds_errs *e)
{
	(void)input;
	(void)out;
	if (peers_reload(arg) == 0)
		return 0;
	ds_errs_add(e, false, "reload-local-certificates", KM_OFF);
	return -1;
}

static int rpc_accept(void *arg, const struct json *input, struct json **out, struct ds_errs *e)
{
	const char *who = input ? json_get_str(input, "peer", NULL) : NULL;
	char fp[80] = "";

	if (!who || peers_accept_key(arg, who, fp, sizeof(fp)) < 0) {
		ds_errs_add(e, false, "security-peer-key-accept",
			    "no key was refused for peer %s: nothing to accept (show alarms names "
			    "a peer whose key changed)",
			    who ? who : "?");
		return -1;
	}
	*out = json_new_object();
	json_set(*out, "fingerprint", json_new_str(fp));
	return 0;
}

/* metadata-key-regenerate, and peer-key-rekey (rekey: true) */
static int rpc_new_keys(struct peers *ps, bool rekey, struct json **out, struct ds_errs *e)
{
	uint32_t index;

	if ((rekey ? peers_rekey(ps, &index) : peers_regenerate(ps, &index)) < 0) {
		ds_errs_add(e, false,
			    rekey ? "security-peer-key-rekey" : "security-metadata-key-regenerate",
			    KM_OFF " (enhanced-security-key-management, peering-common-name)");
		return -1;
	}
	*out = json_new_object();
	json_set(*out, "metadata-rekey-index", json_new_int(index));
	return 0;
}

static int rpc_rekey(void *arg, const struct json *input, struct json **out, struct ds_errs *e)
{
	(void)input;
	return rpc_new_keys(arg, true, out, e);
}

static int rpc_regenerate(void *arg, const struct json *input, struct json **out, struct ds_errs *e)
{
	(void)input;
	return rpc_new_keys(arg, false, out, e);
}

static void register_rpcs(struct peers *ps)
{
	static const struct {
		const char *name;
		svrd_rpc_fn fn;
	} rpcs[] = {
		{"reload-local-certificates", rpc_reload},
		{"security-peer-key-accept", rpc_accept},
		{"security-peer-key-rekey", rpc_rekey},
		{"security-metadata-key-regenerate", rpc_regenerate},
	};

	for (size_t i = 0; i < sizeof(rpcs) / sizeof(rpcs[0]); i++)
		if (svrd_rpc_register(ps->d, rpcs[i].name, rpcs[i].fn, ps) < 0)
			log_warnx("peer paths: cannot serve RPC %s", rpcs[i].name);
}

struct peers *peers_start(struct svrd *d)
{
	struct peers *ps = calloc(1, sizeof(*ps));
	struct ds_sub sub = {
		.name = "peers",
		.path = "/opensvr:authority",
		.prepare = sub_prepare,
		.apply = sub_apply,
		.abort = sub_abort,
		.arg = ps,
	};
	struct ds_errs e = {0};

	if (!ps)
		return NULL;
	ps->d = d;
	ps->crl_watch = -1;
	srand((unsigned)(ev_wallclock_ms() ^ (uint64_t)getpid()));
	crypto_random(&ps->hash_key, sizeof(ps->hash_key));
	if (ds_subscribe(d->ds, &sub, &e) < 0)
		log_warnx("peer paths: %s", e.n ? e.v[0].msg : "cannot subscribe");
	ds_errs_free(&e);
	ps->timer = ev_timer_add(d->loop, on_timer, ps);
	register_rpcs(ps);
	rebuild(ps, ds_running(d->ds));
	return ps;
}

void peers_stop(struct peers *ps)
{
	if (!ps)
		return;
	teardown(ps);
	ev_timer_del(ps->timer);
	pcounter_close(ps->ctr[0]);
	pcounter_close(ps->ctr[1]);
	if (ps->next)
		next_free(ps->next);
	free(ps->next);
	free(ps->view.v);
	free(ps);
}

int peers_listen(struct peers *ps, peers_listener fn, void *arg)
{
	if (!ps || ps->nlisteners == (int)(sizeof(ps->listeners) / sizeof(ps->listeners[0])))
		return -1;
	ps->listeners[ps->nlisteners].fn = fn;
	ps->listeners[ps->nlisteners++].arg = arg;
	return 0;
}

const struct peers_view *peers_view(const struct peers *ps)
{
	return ps ? &ps->view : NULL;
}

static const char *yes(bool b)
{
	return b ? "True" : "False";
}

struct json *peers_state(const struct peers *ps)
{
	struct json *list = json_new_array();

	for (int i = 0; ps && i < ps->npaths; i++) {
		const struct path *p = &ps->paths[i];
		struct kex_peer_state s;
		struct json *o = json_new_object();

		if (ps->kex) {
			kex_peer_state(ps->kex, p->peer, &s);
		} else {
			memset(&s, 0, sizeof(s));
			s.status = "DISABLED";
			s.cert_verdict = "none";
		}
		json_set(o, "peer", json_new_str(p->peer_name));
		json_set(o, "node", json_new_str(ps->d->node));
		json_set(o, "network-interface", json_new_str(p->ifname));
		json_set(o, "destination", json_new_str(p->dst_text));
		json_set(o, "status",
			 json_new_str(p->bfd.state == BFD_UP	       ? "up"
				      : p->bfd.state == BFD_ADMIN_DOWN ? "out-of-service"
								       : "down"));
		if (p->bfd.state == BFD_UP) { /* a path that works: what the kernel holds for it */
			int mtu = sock_path_mtu(p->dst_text);

			if (mtu > 0)
				json_set(o, "path-mtu", json_new_int(mtu));
		}
		json_set(o, "security-status", json_new_str(s.status));
		json_set(o, "salt", json_new_int((int64_t)(s.salt >> 32)));
		json_set(o, "peer-salt", json_new_int((int64_t)(s.peer_salt >> 32)));
		json_set(o, "key-index", json_new_int(s.key_index));
		json_set(o, "peer-key-index", json_new_int(s.peer_key_index));
		json_set(o, "cert-rec", json_new_str(yes(s.cert_rec)));
		json_set(o, "cert-ack", json_new_str(yes(s.cert_ack)));
		json_set(o, "salt-rec", json_new_str(yes(s.salt_rec)));
		json_set(o, "salt-ack", json_new_str(yes(s.salt_ack)));
		json_set(o, "key-rec", json_new_str(yes(s.key_rec)));
		json_set(o, "key-ack", json_new_str(yes(s.key_ack)));
		json_set(o, "peer-certificate", json_new_str(s.cert_verdict));
		json_set(o, "peer-certificate-authority",
			 json_new_str(s.chained	       ? "trusted-ca"
				      : s.pinned_fp[0] ? "pinned"
						       : "none"));
		json_set(o, "peer-key-fingerprint", json_new_str(s.pinned_fp));
		if (s.key_conflict)
			json_set(o, "refused-key-fingerprint", json_new_str(s.offered_fp));
		if (s.refused[0])
			json_set(o, "refused-certificate", json_new_str(s.refused));
		json_set(o, "datagrams-received", json_new_int((int64_t)p->nrx));
		json_set(o, "datagrams-sent", json_new_int((int64_t)p->ntx));
		json_set(o, "unauthenticated-datagrams", json_new_int((int64_t)p->unauth));
		json_set(o, "replayed-datagrams", json_new_int((int64_t)p->replayed));
		json_set(o, "rate-limited-messages", json_new_int((int64_t)s.rate_limited));
		json_set(o, "certificates-received", json_new_int((int64_t)s.certs_in));
		json_set(o, "certificates-answered", json_new_int((int64_t)s.certs_answered));
		{
			char hex[20];

			/* salts travel in clear in SALT messages: not key material */
			snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)s.salt);
			json_set(o, "salt-hex", json_new_str(hex));
			snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)s.peer_salt);
			json_set(o, "peer-salt-hex", json_new_str(hex));
		}
		json_set(o, "peering-common-name",
			 json_new_str(ps->kex ? kex_peer_pcn(ps->kex, p->peer) : ""));
		json_set(o, "peer-rekey-count", json_new_int(s.gen > 1 ? s.gen - 1 : 0));
		json_set(o, "rekey-in",
			 json_new_int(ps->mkey_interval_ms
					      ? (int64_t)((ps->mkey_since_ms +
							   ps->mkey_interval_ms - ev_now_ms()) /
							  1000)
					      : -1));
		json_append(list, o);
	}
	return list;
}

int peers_reload(struct peers *ps)
{
	if (!ps)
		return -1;
	teardown(ps); /* forget the plan: the certificates are read again */
	ps->active = false;
	rebuild(ps, ds_running(ps->d->ds));
	return ps->kex ? 0 : -1;
}

int peers_accept_key(struct peers *ps, const char *peer, char *fp, size_t fplen)
{
	for (int i = 0; ps && ps->kex && i < ps->npaths; i++) {
		struct kex_peer_state s;
		int p = ps->paths[i].peer;

		if (strcmp(ps->paths[i].peer_name, peer) != 0)
			continue;
		kex_peer_state(ps->kex, p, &s);
		snprintf(fp, fplen, "%s", s.offered_fp);
		if (kex_accept_key(ps->kex, p, ev_now_ms()) < 0)
			return -1;
		log_info("operator accepted key %s for peer %s", fp, peer);
		save_learned_pins(ps);
		flush_kex(ps);
		evaluate_alarms(ps);
		arm(ps);
		return 0;
	}
	return -1;
}

int peers_rekey(struct peers *ps, uint32_t *index)
{
	if (!ps || !ps->kex)
		return -1;
	/* new peer keys with every peer, and a new metadata key sealed with them */
	kex_rekey(ps->kex, ev_now_ms());
	return peers_regenerate(ps, index);
}

int peers_regenerate(struct peers *ps, uint32_t *index)
{
	if (!ps || !ps->kex)
		return -1;
	if (kex_regenerate(ps->kex, ev_now_ms()) < 0)
		return -1;
	flush_kex(ps);
	*index = kex_local_index(ps->kex);
	ps->mkey_since_ms = ev_now_ms();
	ps->mkey_changes++;
	arm(ps);
	return 0;
}

struct json *peers_key_status(const struct peers *ps)
{
	struct json *o = json_new_object();
	uint64_t now = ev_now_ms(), key_ms = 0;
	uint32_t gen = 0;

	if (!ps) {
		json_set(o, "key-manager-state", json_new_str("inactive"));
		return o;
	}
	json_set(o, "node", json_new_str(ps->d->node));
	json_set(o, "key-manager-state", json_new_str(ps->active ? "Active Leader" : "inactive"));
	if (!ps->active)
		return o;
	for (int p = 0; ps->kex && p < ps->npaths; p++) {
		struct kex_peer_state s;

		kex_peer_state(ps->kex, ps->paths[p].peer, &s);
		gen = s.gen > gen ? s.gen : gen;
		key_ms = s.key_ms > key_ms ? s.key_ms : key_ms;
	}
	/* peer keys: the newest one made with any peer */
	json_set(o, "rekey-index", json_new_int(gen));
	json_set(o, "last-rekey", json_new_int(key_ms ? (int64_t)((now - key_ms) / 1000) : -1));
	json_set(o, "next-rekey",
		 json_new_int(ps->mkey_interval_ms
				      ? (int64_t)((ps->mkey_since_ms + ps->mkey_interval_ms - now) /
						  1000)
				      : -1));
	json_set(o, "key-change-count", json_new_int(ps->mkey_changes));
	json_set(o, "config-key-change-count", json_new_int(ps->config_changes));
	json_set(o, "metadata-rekey-index", json_new_int(kex_local_index(ps->kex)));
	json_set(o, "metadata-last-rekey",
		 json_new_int((int64_t)((now - ps->mkey_since_ms) / 1000)));
	json_set(o, "metadata-next-rekey",
		 json_new_int(ps->mkey_interval_ms
				      ? (int64_t)((ps->mkey_since_ms + ps->mkey_interval_ms - now) /
						  1000)
				      : -1));
	return o;
}

/* ---- for the data plane ------------------------------------------------- */

const struct kex_engine *peers_kex(const struct peers *ps)
{
	return ps ? ps->kex : NULL;
}

bool peers_path(const struct peers *ps, int i, int *peer, const char **name, const char **dst,
		const char **src)
{
	if (!ps || i < 0 || i >= ps->npaths)
		return false;
	*peer = ps->paths[i].peer;
	*name = ps->paths[i].peer_name;
	*dst = ps->paths[i].dst_text;
	*src = ps->socks[ps->paths[i].sock].addr;
	return true;
}
