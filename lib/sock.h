/* Socket helpers shared by svrd and its clients. */
#ifndef SVR_SOCK_H
#define SVR_SOCK_H

#include <stddef.h>
#include <sys/types.h>

/* Connected, blocking, close-on-exec; -1 with errno set. */
int sock_unix_connect(const char *path);
/* Listening, non-blocking, close-on-exec, mode applied; -1 with errno set.
 * A stale socket file (nobody listening) is replaced; a live one is EADDRINUSE. */
int sock_unix_listen(const char *path, mode_t mode, gid_t gid);
/* Write all of buf to any fd (sockets, pipes, terminals); SIGPIPE must be
 * ignored by the caller. */
int sock_write_all(int fd, const void *buf, size_t len);
/* The path MTU the kernel holds towards addr (IPv4 or IPv6 text): the
 * outgoing interface's, or less when the path told it so (ICMP "packet
 * too big").  -1 when there is no route or addr is not an address. */
int sock_path_mtu(const char *addr);

#endif
