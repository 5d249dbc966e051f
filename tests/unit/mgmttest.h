/* The management-socket tests' helpers (test_mgmt*.c): a private svrd
 * (d, up and down around every test of the suite "mgmt"), and framed
 * requests and replies on its socket. */
#ifndef SVR_MGMTTEST_H
#define SVR_MGMTTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proc.h"

struct json;

extern struct svrd_proc d;

void up(void);
void down(void);
int conn_to(const char *sock);
int conn(void);
void send_raw(int fd, const void *p, size_t n);
void send_msg(int fd, const char *body);
bool read_exact(int fd, uint8_t *p, size_t n);
struct json *recv_msg(int fd);
const char *err_code(const struct json *reply);
void assert_serving(void);
bool closed_by_peer(int fd);
struct json *call(int fd, const char *body);
bool c_read(int fd, uint8_t *p, size_t n, int timeout_ms);
struct json *c_recv(int fd, int timeout_ms);

#endif
