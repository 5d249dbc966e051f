/* svr-probe: the traffic the data-plane tests send through a lab, so the
 * tests need no tool the machine may lack.
 *
 *   svr-probe udp-echo PORT                  echo every datagram back, forever
 *   svr-probe udp-ping HOST PORT MSG COUNT [SRCPORT]
 *                                            send COUNT datagrams, one at a time, each
 *                                            answered within 2 s; exit 0 when all were
 *   svr-probe udp-many HOST PORT N           N sockets (N sessions) at once, one datagram
 *                                            each; exit 0 when every one is echoed
 *   svr-probe tcp-sink PORT                  accept one connection, copy it to stdout
 *   svr-probe tcp-send HOST PORT             copy stdin to a connection
 *   svr-probe spoof-cert SRC DST DER COUNT RATE
 *                                            an attacker's key-exchange CERT datagrams
 *                                            (BFD, then the certificate in DER file DER,
 *                                            its last byte varied) from address SRC to
 *                                            DST port 1280, RATE a second
 *   svr-probe ip-send HOST PROTO MSG COUNT   send COUNT IPv4 packets of protocol PROTO
 *                                            (4 bytes of zeros, then MSG: a GRE header
 *                                            for protocol 47), answered or not
 *
 * HOST is an IPv4 or IPv6 address.  Exit status 1 says what failed.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int addr_of(const char *host, const char *port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)atoi(port));
		*len = sizeof(*a4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)atoi(port));
		*len = sizeof(*a6);
		return AF_INET6;
	}
	fprintf(stderr, "svr-probe: %s is not an address\n", host);
	exit(1);
}

static int bound(int type, const char *port)
{
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT};
	int fd = socket(AF_INET6, type, 0), zero = 0, one = 1;

	a.sin6_port = htons((uint16_t)atoi(port));
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)); /* IPv4 too */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("svr-probe: bind");
		exit(1);
	}
	return fd;
}

static __attribute__((noreturn)) int udp_echo(const char *port)
{
	int fd = bound(SOCK_DGRAM, port);
	char buf[65536];

	for (;;) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

		if (n >= 0)
			sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
	}
}

static int udp_ping(const char *host, const char *port, const char *msg, int count,
		    const char *sport)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(addr_of(host, port, &ss, &len), SOCK_DGRAM, 0);
	char buf[65536];

	if (sport) { /* a source port of its own: a session no earlier one shares */
		struct sockaddr_storage me;
		socklen_t ml;

		addr_of(ss.ss_family == AF_INET6 ? "::" : "0.0.0.0", sport, &me, &ml);
		if (bind(fd, (struct sockaddr *)&me, ml) < 0) {
			perror("svr-probe: bind");
			return 1;
		}
	}

	for (int i = 0; i < count; i++) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t n;

		if (sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&ss, len) < 0 ||
		    poll(&p, 1, 2000) != 1 || (n = recv(fd, buf, sizeof(buf), 0)) < 0 ||
		    (size_t)n != strlen(msg) || memcmp(buf, msg, (size_t)n) != 0) {
			fprintf(stderr, "svr-probe: datagram %d of %d not echoed\n", i + 1, count);
			return 1;
		}
	}
	return 0;
}

static int udp_many(const char *host, const char *port, int n)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int family = addr_of(host, port, &ss, &len), got = 0;
	int *fds = calloc((size_t)n, sizeof(int));
	struct pollfd *p = calloc((size_t)n, sizeof(*p));
	char msg[32], buf[64];

	if (!fds || !p)
		return 1;
	for (int i = 0; i < n; i++) {
		fds[i] = socket(family, SOCK_DGRAM, 0);
		snprintf(msg, sizeof(msg), "session %d", i);
		if (fds[i] < 0 ||
		    sendto(fds[i], msg, strlen(msg), 0, (struct sockaddr *)&ss, len) < 0) {
			perror("svr-probe: socket");
			return 1;
		}
		p[i].fd = fds[i];
		p[i].events = POLLIN;
	}
	/* resend to the silent ones a few times: a first packet may be lost
	 * while the far end's queue fills */
	for (int round = 0; round < 5 && got < n; round++) {
		int r;

		while (got < n && (r = poll(p, (nfds_t)n, 2000)) > 0)
			for (int i = 0; i < n; i++)
				if (p[i].revents & POLLIN) {
					ssize_t k = recv(fds[i], buf, sizeof(buf), 0);

					snprintf(msg, sizeof(msg), "session %d", i);
					if (k == (ssize_t)strlen(msg) &&
					    !memcmp(buf, msg, (size_t)k)) {
						got++;
						p[i].fd = -1;
					}
				}
		for (int i = 0; i < n; i++)
			if (p[i].fd >= 0) {
				snprintf(msg, sizeof(msg), "session %d", i);
				sendto(fds[i], msg, strlen(msg), 0, (struct sockaddr *)&ss, len);
			}
	}
	printf("%d of %d sessions echoed\n", got, n);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	free(p);
	return got == n ? 0 : 1;
}

static int copy(int from, int to)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(from, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(to, buf + off, (size_t)(n - off));

			if (w < 0)
				return 1;
			off += w;
		}
	return n < 0 ? 1 : 0;
}

static int tcp_sink(const char *port)
{
	int fd = bound(SOCK_STREAM, port), c;

	if (listen(fd, 1) < 0 || (c = accept(fd, NULL, NULL)) < 0) {
		perror("svr-probe: accept");
		return 1;
	}
	return copy(c, 1);
}

static int tcp_send(const char *host, const char *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(addr_of(host, port, &ss, &len), SOCK_STREAM, 0);

	for (int tries = 0; connect(fd, (struct sockaddr *)&ss, len) < 0; tries++) {
		if (tries == 50) {
			perror("svr-probe: connect");
			return 1;
		}
		close(fd);
		usleep(100000);
		fd = socket(ss.ss_family, SOCK_STREAM, 0);
	}
	return copy(0, fd) || shutdown(fd, SHUT_WR) < 0 || close(fd) < 0;
}

/* The datagram of doc/protocol.md "Peer paths", untagged: BFD (state Down,
 * a made-up discriminator and none for the receiver, which RFC 5880's
 * reception checks accept), an SVR metadata header, TLV 0xF001 holding a
 * CERT message (version 1, type 1, length, generation 0) with der. */
static size_t cert_datagram(uint8_t *out, const uint8_t *der, size_t dlen)
{
	static const uint8_t cookie[8] = {0x4c, 0x48, 0xdb, 0xc6, 0xdd, 0xf6, 0x67, 0x0c};
	size_t hlen = 12 + 4 + 8 + dlen, n = 0;

	memset(out, 0, 24);
	out[0] = 0x20, out[1] = 0x40, out[2] = 3, out[3] = 24;
	out[4] = 0x12, out[5] = 0x34, out[6] = 0x56, out[7] = 0x78;
	out[15] = 0x40, out[19] = 0x40;
	n = 24;
	memcpy(out + n, cookie, 8);
	out[n + 8] = (uint8_t)(0x10 | (hlen >> 8));
	out[n + 9] = (uint8_t)hlen;
	out[n + 10] = out[n + 11] = 0;
	n += 12;
	out[n] = 0xf0, out[n + 1] = 0x01;
	out[n + 2] = (uint8_t)((8 + dlen) >> 8), out[n + 3] = (uint8_t)(8 + dlen);
	n += 4;
	out[n] = 1, out[n + 1] = 1;
	out[n + 2] = (uint8_t)(dlen >> 8), out[n + 3] = (uint8_t)dlen;
	memset(out + n + 4, 0, 4);
	memcpy(out + n + 8, der, dlen);
	return n + 8 + dlen;
}

static int spoof_cert(const char *src, const char *dst, const char *file, long count, long rate)
{
	uint8_t der[4000], pkt[4200];
	struct sockaddr_storage from, to;
	socklen_t fl, tl;
	FILE *f = fopen(file, "rb");
	size_t dlen = f ? fread(der, 1, sizeof(der), f) : 0, n;
	struct timespec next;
	int fd;

	if (f)
		fclose(f);
	if (!dlen || rate <= 0) {
		fprintf(stderr, "svr-probe: cannot read %s\n", file);
		return 1;
	}
	addr_of(src, "0", &from, &fl);
	addr_of(dst, "1280", &to, &tl);
	fd = socket(from.ss_family, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&from, fl) < 0) {
		perror("svr-probe: bind");
		return 1;
	}
	n = cert_datagram(pkt, der, dlen);
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (long i = 0; i < count; i++) {
		pkt[n - 1] = (uint8_t)(der[dlen - 1] ^ (uint8_t)i); /* a different one each time */
		sendto(fd, pkt, n, 0, (struct sockaddr *)&to, tl);
		next.tv_nsec += 1000000000L / rate;
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	close(fd);
	return 0;
}

static int ip_send(const char *host, int proto, const char *msg, int count)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	uint8_t b[1024] = {0, 0, 0x08, 0};
	size_t n = strlen(msg);
	int fd;

	if (n > sizeof(b) - 4 || inet_pton(AF_INET, host, &sa.sin_addr) != 1 || proto <= 0 ||
	    proto > 255)
		return fprintf(stderr, "ip-send: bad arguments\n"), 1;
	fd = socket(AF_INET, SOCK_RAW, proto);
	if (fd < 0)
		return perror("ip-send: socket"), 1;
	memcpy(b + 4, msg, n);
	for (int i = 0; i < count; i++)
		if (sendto(fd, b, 4 + n, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			return perror("ip-send: sendto"), close(fd), 1;
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "udp-echo") && argc == 3)
		return udp_echo(argv[2]);
	if (!strcmp(cmd, "udp-ping") && (argc == 6 || argc == 7))
		return udp_ping(argv[2], argv[3], argv[4], atoi(argv[5]),
				argc == 7 ? argv[6] : NULL);
	if (!strcmp(cmd, "udp-many") && argc == 5)
		return udp_many(argv[2], argv[3], atoi(argv[4]));
	if (!strcmp(cmd, "tcp-sink") && argc == 3)
		return tcp_sink(argv[2]);
	if (!strcmp(cmd, "tcp-send") && argc == 4)
		return tcp_send(argv[2], argv[3]);
	if (!strcmp(cmd, "ip-send") && argc == 6)
		return ip_send(argv[2], atoi(argv[3]), argv[4], atoi(argv[5]));
	if (!strcmp(cmd, "spoof-cert") && argc == 7)
		return spoof_cert(argv[2], argv[3], argv[4], atol(argv[5]), atol(argv[6]));
	fprintf(stderr,
		"usage: svr-probe udp-echo PORT | udp-ping HOST PORT MSG COUNT [SRCPORT] |\n"
		"       udp-many HOST PORT N | tcp-sink PORT | tcp-send HOST PORT |\n"
		"       spoof-cert SRC DST DER COUNT RATE | ip-send HOST PROTO MSG COUNT\n");
	return 2;
}
