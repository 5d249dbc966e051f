/* Socket helpers; see sock.h. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sock.h"

static int fill_addr(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun->sun_path, path);
	return 0;
}

int sock_unix_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	if (fill_addr(&sun, path) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int sock_unix_listen(const char *path, mode_t mode, gid_t gid)
{
	struct sockaddr_un sun;
	int fd, probe;

	if (fill_addr(&sun, path) < 0)
		return -1;
	probe = sock_unix_connect(path);
	if (probe >= 0) {
		close(probe);
		errno = EADDRINUSE;
		return -1;
	}
	if (errno == ECONNREFUSED)
		unlink(path); /* left behind by a crash */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || chmod(path, mode) < 0 ||
	    (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0) || listen(fd, 64) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int sock_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int sock_path_mtu(const char *addr)
{
	struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons(9)};
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(9)};
	bool v4 = inet_pton(AF_INET, addr ? addr : "", &a4.sin_addr) == 1;
	int fd, mtu = -1;
	socklen_t len = sizeof(mtu);

	if (!v4 && inet_pton(AF_INET6, addr ? addr : "", &a6.sin6_addr) != 1)
		return -1;
	/* connect() on UDP sends nothing: it only looks the route up */
	fd = socket(v4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, v4 ? (struct sockaddr *)&a4 : (struct sockaddr *)&a6,
		    v4 ? sizeof(a4) : sizeof(a6)) < 0 ||
	    getsockopt(fd, v4 ? IPPROTO_IP : IPPROTO_IPV6, v4 ? IP_MTU : IPV6_MTU, &mtu, &len) < 0)
		mtu = -1;
	close(fd);
	return mtu;
}
