/* ch-sim: many simulated routers calling home to one conductor, for the
 * conductor's scale benchmark (bench/conductor-scale.sh, BENCHMARKS.md).
 *
 * Each simulated router does on the wire what a router's svrd does: it
 * connects to the conductor's call-home port (RFC 8071), is the TLS
 * server with a certificate the authority's CA issued for its
 * peering-common-name (rN.bench; made here from the CA's key, as
 * enrolment would), requires the conductor's certificate from that CA,
 * says hello with NETCONF 1.1 and answers the conductor's RPCs in
 * chunked framing.  What it does not do is a router's work behind the
 * RPCs: edit-config, validate and commit are answered <ok/> without
 * validating anything (checked only: the edit carries the router's own
 * entry).  So the benchmark measures the conductor, not the routers.
 *
 * One thread, epoll, non-blocking OpenSSL.  A lost session is called
 * again after 1 to 2 s (at most MAX_OPENING calls under way at once).
 * Every 100 ms, and at exit, the counters go to the stats file (written
 * whole and renamed): see write_stats.
 *
 * usage: ch-sim ADDRESS PORT CA-CERT CA-KEY ROUTERS STATS-FILE */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_OPENING  512
#define OPEN_TIMEOUT 30.0
#define MAX_MSG	     (64u << 20)
#define MAX_VERSIONS 64

enum cstate { C_IDLE, C_CONNECTING, C_TLS, C_HELLO, C_RUN };

struct conn {
	int fd, idx;
	SSL *ssl;
	enum cstate st;
	char *in, *out, *msg;
	size_t inlen, incap, outlen, outcap, msglen, msgcap;
	size_t chunk_left; /* bytes of the current chunk still to come */
	bool asked;	   /* the conductor asked its state since it called */
	bool pending;	   /* a commit confirmed waits for its confirmation */
	uint32_t version;  /* the conductor's commit it runs, as recorded */
	double opened, retry_at;
};

struct vstat {
	uint32_t version;
	long marks;
	double first, last;
};

static struct {
	struct sockaddr_storage dst;
	socklen_t dstlen;
	int ep, n, opening;
	SSL_CTX *tls;
	EVP_PKEY *key;
	X509 **certs;
	struct conn *c;
	const char *stats;
	long connected, asked, handshakes, drops, edits, edits_bad, edit_bytes, gets, crls;
	double all_asked_at;
	struct vstat v[MAX_VERSIONS];
	int nv;
	volatile sig_atomic_t stop;
} g;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "ch-sim: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

/* ---- certificates ---------------------------------------------------------- */

static X509 *read_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	return x;
}

static EVP_PKEY *read_key(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	return k;
}

/* Router i's certificate: CN and SAN URI urn:ssr:peering:rI.bench, from
 * the CA, as the conductor issues them at enrolment. */
static X509 *issue(int i, X509 *ca, EVP_PKEY *cakey, EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	char cn[64], san[96];

	snprintf(cn, sizeof(cn), "r%d.bench", i);
	snprintf(san, sizeof(san), "URI:urn:ssr:peering:%s", cn);
	if (!x || !X509_set_version(x, 2) ||
	    !ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), 1000000u + (uint64_t)i) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 7 * 86400) || !X509_set_pubkey(x, key) ||
	    !X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
					(const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(ca)))
		die("cannot make a certificate");
	X509V3_set_ctx(&v3, ca, x, NULL, NULL, 0);
	if (!(ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san)) ||
	    !X509_add_ext(x, ext, -1))
		die("cannot add the SAN");
	X509_EXTENSION_free(ext);
	if (!X509_sign(x, cakey, EVP_sha256()))
		die("cannot sign a certificate");
	return x;
}

static void make_identities(const char *ca_path, const char *cakey_path)
{
	X509 *ca = read_cert(ca_path);
	EVP_PKEY *cakey = read_key(cakey_path);

	if (!ca || !cakey)
		die("cannot read the CA's certificate and key");
	/* one key for all: a key each would only make start-up slower */
	if (!(g.key = EVP_EC_gen("P-256")))
		die("cannot make a key");
	g.certs = calloc((size_t)g.n + 1, sizeof(*g.certs));
	for (int i = 1; i <= g.n; i++)
		g.certs[i] = issue(i, ca, cakey, g.key);
	if (!(g.tls = SSL_CTX_new(TLS_server_method())) ||
	    SSL_CTX_load_verify_locations(g.tls, ca_path, NULL) != 1)
		die("cannot make the TLS context");
	SSL_CTX_set_verify(g.tls, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_mode(g.tls, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
					SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_num_tickets(g.tls, 0);
	X509_free(ca);
	EVP_PKEY_free(cakey);
}

/* ---- buffers --------------------------------------------------------------- */

static void put(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t nc = (*len + n + 1) * 2;
		char *nb = realloc(*buf, nc);

		if (!nb)
			die("out of memory");
		*buf = nb;
		*cap = nc;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
}

static void want(struct conn *c, bool out)
{
	struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c};

	epoll_ctl(g.ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* ---- a session ------------------------------------------------------------- */

static void drop(struct conn *c)
{
	if (c->st == C_RUN)
		g.connected--;
	if (c->asked)
		g.asked--;
	if (c->st != C_IDLE && c->st != C_RUN)
		g.opening--;
	if (c->ssl)
		SSL_free(c->ssl);
	if (c->fd >= 0)
		close(c->fd);
	c->ssl = NULL;
	c->fd = -1;
	c->st = C_IDLE;
	c->inlen = c->outlen = c->msglen = c->chunk_left = 0;
	c->asked = c->pending = false;
	c->retry_at = now() + 1.0 + (double)(rand() % 1000) / 1000.0;
	g.drops++;
}

static void flush(struct conn *c)
{
	while (c->outlen) {
		int w = SSL_write(c->ssl, c->out, (int)c->outlen);

		if (w <= 0) {
			int e = SSL_get_error(c->ssl, w);

			if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
				want(c, true);
				return;
			}
			drop(c);
			return;
		}
		memmove(c->out, c->out + w, c->outlen - (size_t)w);
		c->outlen -= (size_t)w;
	}
	want(c, false);
}

/* One message in NETCONF 1.1 chunked framing. */
static void send_msg(struct conn *c, const char *body)
{
	char head[32];
	int n = snprintf(head, sizeof(head), "\n#%zu\n", strlen(body));

	put(&c->out, &c->outlen, &c->outcap, head, (size_t)n);
	put(&c->out, &c->outlen, &c->outcap, body, strlen(body));
	put(&c->out, &c->outlen, &c->outcap, "\n##\n", 4);
}

static void reply(struct conn *c, const char *id, const char *inner)
{
	char *m = NULL;

	if (asprintf(&m,
		     "<rpc-reply xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\" "
		     "message-id=\"%s\">%s</rpc-reply>",
		     id, inner) < 0)
		die("out of memory");
	send_msg(c, m);
	free(m);
}

static struct vstat *vstat_of(uint32_t v)
{
	for (int i = 0; i < g.nv; i++)
		if (g.v[i].version == v)
			return &g.v[i];
	if (g.nv == MAX_VERSIONS)
		return NULL;
	g.v[g.nv].version = v;
	return &g.v[g.nv++];
}

/* The operation of an <rpc> (its first element), without a prefix. */
static void op_of(const char *m, char *op, size_t len)
{
	const char *p = strstr(m, "<rpc"), *e;

	*op = '\0';
	if (!p || !(p = strchr(p, '>')) || !(p = strchr(p, '<')))
		return;
	p++;
	for (e = p; *e && *e != ' ' && *e != '>' && *e != '/'; e++)
		if (*e == ':')
			p = e + 1;
	snprintf(op, len, "%.*s", (int)(e - p), p);
}

static void handle(struct conn *c, char *m)
{
	char id[64] = "", op[64], body[512];
	const char *p = strstr(m, "message-id=\"");
	int i = c->idx;

	if (p)
		sscanf(p + 12, "%63[^\"]", id);
	op_of(m, op, sizeof(op));
	if (!strcmp(op, "get")) {
		char cv[32] = "";

		g.gets++;
		if (!c->asked) {
			c->asked = true;
			if (++g.asked == g.n)
				g.all_asked_at = now();
		}
		if (c->version)
			snprintf(cv, sizeof(cv), "%u", c->version);
		snprintf(body, sizeof(body),
			 "<data><authority-state xmlns=\"urn:opensvr:yang:opensvr\"><router>"
			 "<name>r%d</name><software-version>ch-sim</software-version>%s%s%s"
			 "</router></authority-state></data>",
			 i, cv[0] ? "<conductor-version>" : "", cv,
			 cv[0] ? "</conductor-version>" : "");
		reply(c, id, body);
	} else if (!strcmp(op, "edit-config")) {
		char self[48];

		snprintf(self, sizeof(self), "<name>r%d</name>", i);
		g.edits++;
		g.edit_bytes += (long)strlen(m);
		if (!strstr(m, self))
			g.edits_bad++;
		reply(c, id, "<ok/>");
	} else if (!strcmp(op, "commit")) {
		c->pending = strstr(m, "confirmed") != NULL;
		reply(c, id, "<ok/>");
	} else if (!strcmp(op, "record-conductor-version")) {
		const char *v = strstr(m, "<version>");
		struct vstat *s;
		double t = now();

		c->version = v ? (uint32_t)strtoul(v + 9, NULL, 10) : 0;
		if ((s = vstat_of(c->version))) {
			if (!s->marks++)
				s->first = t;
			s->last = t;
		}
		reply(c, id, "<ok/>");
	} else if (!strcmp(op, "install-revocation-list")) {
		g.crls++;
		reply(c, id, "<ok/>");
	} else if (!strcmp(op, "close-session")) {
		reply(c, id, "<ok/>");
	} else if (!strcmp(op, "validate") || !strcmp(op, "cancel-commit") ||
		   !strcmp(op, "discard-changes") || !strcmp(op, "lock") || !strcmp(op, "unlock")) {
		reply(c, id, "<ok/>");
	} else {
		reply(c, id,
		      "<rpc-error><error-type>protocol</error-type><error-tag>operation-not-"
		      "supported</error-tag><error-severity>error</error-severity></rpc-error>");
	}
}

/* Chunked frames out of c->in into messages. */
static void frames(struct conn *c)
{
	size_t pos = 0;

	while (pos < c->inlen && c->st == C_RUN) {
		if (c->chunk_left) {
			size_t n = c->inlen - pos < c->chunk_left ? c->inlen - pos : c->chunk_left;

			put(&c->msg, &c->msglen, &c->msgcap, c->in + pos, n);
			pos += n;
			c->chunk_left -= n;
			continue;
		}
		if (c->inlen - pos < 4)
			break;
		if (!memcmp(c->in + pos, "\n##\n", 4)) {
			pos += 4;
			handle(c, c->msg ? c->msg : (char *)"");
			c->msglen = 0;
			continue;
		}
		if (c->in[pos] == '\n' && c->in[pos + 1] == '#') {
			char *end;
			unsigned long n = strtoul(c->in + pos + 2, &end, 10);

			if (end >= c->in + c->inlen)
				break; /* the size is not all here yet */
			if (*end != '\n' || !n || n > MAX_MSG) {
				drop(c);
				return;
			}
			c->chunk_left = n;
			pos = (size_t)(end - c->in) + 1;
			continue;
		}
		drop(c); /* not a frame */
		return;
	}
	if (c->st == C_RUN) {
		memmove(c->in, c->in + pos, c->inlen - pos);
		c->inlen -= pos;
	}
}

static const char HELLO[] =
	"<hello xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><capabilities>"
	"<capability>urn:ietf:params:netconf:base:1.0</capability>"
	"<capability>urn:ietf:params:netconf:base:1.1</capability>"
	"<capability>urn:ietf:params:netconf:capability:candidate:1.0</capability>"
	"<capability>urn:ietf:params:netconf:capability:validate:1.1</capability>"
	"<capability>urn:ietf:params:netconf:capability:confirmed-commit:1.1</capability>"
	/* as svrd's server: the conductor's library then asks for schemas
	 * (get-schema) and yang-library data (get-data), answered with
	 * errors here as svrd answers the ones it lacks */
	"<capability>urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring?module=ietf-netconf-"
	"monitoring&amp;revision=2010-10-04</capability>"
	"<capability>urn:ietf:params:netconf:capability:yang-library:1.1?revision=2019-01-04&amp;"
	"content-id=1</capability>"
	"<capability>urn:opensvr:yang:opensvr?module=opensvr&amp;revision=2026-11-26</capability>"
	"</capabilities><session-id>%d</session-id></hello>]]>]]>";

static void readable(struct conn *c)
{
	char buf[16384];

	for (;;) {
		int r = SSL_read(c->ssl, buf, sizeof(buf));

		if (r <= 0) {
			int e = SSL_get_error(c->ssl, r);

			if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
				drop(c);
			return;
		}
		put(&c->in, &c->inlen, &c->incap, buf, (size_t)r);
		if (c->st == C_HELLO) {
			char *end = strstr(c->in, "]]>]]>");

			if (!end)
				continue;
			if (!strstr(c->in, "base:1.1")) {
				drop(c);
				return;
			}
			end += 6;
			c->inlen -= (size_t)(end - c->in);
			memmove(c->in, end, c->inlen + 1);
			c->st = C_RUN;
			g.opening--;
			g.connected++;
		}
		frames(c);
		if (c->st != C_RUN)
			return;
		if (c->outlen)
			flush(c);
		if (c->st != C_RUN)
			return;
	}
}

static void tls_step(struct conn *c)
{
	int r = SSL_accept(c->ssl), e;

	if (r == 1) {
		char hello[sizeof(HELLO) + 16];

		g.handshakes++;
		c->st = C_HELLO;
		snprintf(hello, sizeof(hello), HELLO, c->idx);
		put(&c->out, &c->outlen, &c->outcap, hello, strlen(hello));
		flush(c);
		if (c->st == C_HELLO)
			readable(c);
		return;
	}
	e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ)
		want(c, false);
	else if (e == SSL_ERROR_WANT_WRITE)
		want(c, true);
	else
		drop(c);
}

static void open_one(struct conn *c)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
	int one = 1;

	c->fd = socket(g.dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		c->retry_at = now() + 1.0;
		return;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->st = C_CONNECTING;
	c->opened = now();
	g.opening++;
	if (connect(c->fd, (struct sockaddr *)&g.dst, g.dstlen) < 0 && errno != EINPROGRESS) {
		drop(c);
		return;
	}
	epoll_ctl(g.ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static void event(struct conn *c, uint32_t events)
{
	if (c->st == C_CONNECTING) {
		int err = 0;
		socklen_t l = sizeof(err);

		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0 || err ||
		    (events & (EPOLLERR | EPOLLHUP))) {
			drop(c);
			return;
		}
		if (!(c->ssl = SSL_new(g.tls)) || SSL_set_fd(c->ssl, c->fd) != 1 ||
		    SSL_use_certificate(c->ssl, g.certs[c->idx]) != 1 ||
		    SSL_use_PrivateKey(c->ssl, g.key) != 1) {
			drop(c);
			return;
		}
		c->st = C_TLS;
	}
	if (c->st == C_TLS) {
		tls_step(c);
		return;
	}
	if ((events & EPOLLOUT) && c->outlen)
		flush(c);
	if (c->st != C_IDLE && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		readable(c);
}

/* ---- stats ----------------------------------------------------------------- */

/* key value lines; per version of the conductor seen: "version V marks M
 * first T last T" (wall-clock seconds of the first and last record). */
static void write_stats(void)
{
	char tmp[4200];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", g.stats);
	if (!(f = fopen(tmp, "w")))
		return;
	fprintf(f,
		"routers %d\nconnected %ld\nasked %ld\nall_asked_at %.6f\nhandshakes %ld\n"
		"drops %ld\ngets %ld\nedits %ld\nedits_bad %ld\nedit_bytes %ld\ncrls %ld\n",
		g.n, g.connected, g.asked, g.all_asked_at, g.handshakes, g.drops, g.gets, g.edits,
		g.edits_bad, g.edit_bytes, g.crls);
	for (int i = 0; i < g.nv; i++)
		fprintf(f, "version %u marks %ld first %.6f last %.6f\n", g.v[i].version,
			g.v[i].marks, g.v[i].first, g.v[i].last);
	fclose(f);
	rename(tmp, g.stats);
}

static void on_signal(int sig)
{
	(void)sig;
	g.stop = 1;
}

static void parse_dst(const char *addr, const char *port)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&g.dst;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&g.dst;

	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)atoi(port));
		g.dstlen = sizeof(*s4);
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)atoi(port));
		g.dstlen = sizeof(*s6);
	} else {
		die("the conductor's address is not an IP address");
	}
}

int main(int argc, char **argv)
{
	double next_stats = 0;

	if (argc != 7) {
		fprintf(stderr, "usage: ch-sim ADDRESS PORT CA-CERT CA-KEY ROUTERS STATS-FILE\n");
		return 2;
	}
	parse_dst(argv[1], argv[2]);
	g.n = atoi(argv[5]);
	g.stats = argv[6];
	if (g.n < 1)
		die("ROUTERS must be 1 or more");
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	make_identities(argv[3], argv[4]);
	if ((g.ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die("epoll");
	g.c = calloc((size_t)g.n + 1, sizeof(*g.c));
	for (int i = 1; i <= g.n; i++)
		g.c[i] = (struct conn){.fd = -1, .idx = i};
	while (!g.stop) {
		struct epoll_event evs[256];
		double t = now();
		int k;

		for (int i = 1; i <= g.n && g.opening < MAX_OPENING; i++)
			if (g.c[i].st == C_IDLE && g.c[i].retry_at <= t)
				open_one(&g.c[i]);
		k = epoll_wait(g.ep, evs, 256, 20);
		for (int i = 0; i < k; i++)
			event(evs[i].data.ptr, evs[i].events);
		t = now();
		for (int i = 1; i <= g.n; i++)
			if (g.c[i].st != C_IDLE && g.c[i].st != C_RUN &&
			    t - g.c[i].opened > OPEN_TIMEOUT)
				drop(&g.c[i]);
		if (t >= next_stats) {
			write_stats();
			next_stats = t + 0.1;
		}
	}
	write_stats();
	return 0;
}
