/* The management-socket tests' helpers: see mgmttest.h. */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "event.h"
#include "frame.h"
#include "json.h"
#include "mgmt.h"
#include "mgmttest.h"
#include "proc.h"
#include "sock.h"
#include "utf8.h"

struct svrd_proc d;

void up(void)
{
	signal(SIGPIPE, SIG_IGN);
	cr_assert_eq(svrd_start(&d, "RTR_TEST", "node-1"), 0, "svrd did not start");
}

void down(void)
{
	cr_expect_eq(svrd_stop(&d), 0, "svrd did not exit cleanly");
	svrd_cleanup_all();
}

int conn_to(const char *sock)
{
	int fd = sock_unix_connect(sock);

	cr_assert_geq(fd, 0);
	return fd;
}

int conn(void)
{
	return conn_to(d.sock);
}

void send_raw(int fd, const void *p, size_t n)
{
	cr_assert_eq(sock_write_all(fd, p, n), 0);
}

void send_msg(int fd, const char *body)
{
	uint8_t hdr[4];

	frame_header(hdr, (uint32_t)strlen(body));
	send_raw(fd, hdr, 4);
	send_raw(fd, body, strlen(body));
}

/* Read exactly n bytes; false if the peer closed first. */
bool read_exact(int fd, uint8_t *p, size_t n)
{
	while (n) {
		struct pollfd pfd = {fd, POLLIN, 0};
		ssize_t k;

		/* an upper bound, not a pace: a sanitizer build on a loaded
		 * machine answers a 2 MB configuration in seconds */
		cr_assert_eq(poll(&pfd, 1, 30000), 1, "no reply within 30 s");
		k = read(fd, p, n);
		if (k <= 0)
			return false;
		p += k;
		n -= (size_t)k;
	}
	return true;
}

/* Next reply on fd, or NULL if the connection closed first.  Reads exactly
 * one frame, so pipelined replies stay in the socket for the next call. */
struct json *recv_msg(int fd)
{
	uint8_t hdr[4], *body;
	uint32_t n;
	struct json *j;

	if (!read_exact(fd, hdr, 4))
		return NULL;
	n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	cr_assert(n > 0 && n <= FRAME_MAX_DEFAULT, "bad reply length %u", n);
	body = malloc(n);
	cr_assert(read_exact(fd, body, n), "reply truncated");
	j = json_parse((const char *)body, n, NULL, 0);
	cr_assert_not_null(j, "reply is not JSON");
	free(body);
	return j;
}

const char *err_code(const struct json *reply)
{
	return json_get_str(json_get(reply, "error"), "code", "");
}

void assert_serving(void)
{
	int fd = conn();
	struct json *r;

	send_msg(fd, "{\"id\":9,\"op\":\"get-version\",\"args\":{}}");
	r = recv_msg(fd);
	cr_assert_not_null(r);
	cr_assert(json_get_bool(r, "ok", false));
	cr_assert_str_eq(json_get_str(json_get(r, "data"), "router", ""), "RTR_TEST");
	json_free(r);
	close(fd);
}

bool closed_by_peer(int fd)
{
	char c;
	struct pollfd pfd = {fd, POLLIN, 0};

	return poll(&pfd, 1, 5000) == 1 && read(fd, &c, 1) == 0;
}

struct json *call(int fd, const char *body)
{
	struct json *r;

	send_msg(fd, body);
	r = recv_msg(fd);
	cr_assert_not_null(r, "no reply to %s", body);
	return r;
}

bool c_read(int fd, uint8_t *p, size_t n, int timeout_ms)
{
	uint64_t deadline = ev_now_ms() + (uint64_t)timeout_ms;

	while (n) {
		struct pollfd pfd = {fd, POLLIN, 0};
		uint64_t now = ev_now_ms();
		ssize_t k;

		if (now >= deadline || poll(&pfd, 1, (int)(deadline - now)) != 1)
			return false;
		k = read(fd, p, n);
		if (k <= 0)
			return false;
		p += k;
		n -= (size_t)k;
	}
	return true;
}

/* The next reply within timeout_ms, or NULL (timeout, close, garbage). */
struct json *c_recv(int fd, int timeout_ms)
{
	uint8_t hdr[4], *body;
	uint32_t n;
	struct json *j = NULL;

	if (!c_read(fd, hdr, 4, timeout_ms))
		return NULL;
	n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	body = malloc(n ? n : 1);
	if (body && n && c_read(fd, body, n, timeout_ms))
		j = json_parse((const char *)body, n, NULL, 0);
	free(body);
	return j;
}
