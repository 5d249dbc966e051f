/* The YANG model tests' helpers (test_model*.c): a libyang context with
 * the opensvr module, parsing as the datastore does, and the fragments of
 * JSON the tests build on. */
#ifndef SVR_MODELTEST_H
#define SVR_MODELTEST_H

#include <libyang/libyang.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

extern struct ly_ctx *ctx;
extern const struct lys_module *mod;

/* The opensvr module in a fresh context for every test (suite "model"). */
void setup(void);
void teardown(void);
/* The options the datastore uses for configuration: unknown members are errors. */
LY_ERR parse_opts(const char *json, uint32_t parse_opts, struct lyd_node **tree);
LY_ERR parse(const char *json, struct lyd_node **tree);
void vformat(char *buf, size_t len, const char *fmt, va_list ap);
/* Parses and returns the tree, failing the test with libyang's message otherwise. */
__attribute__((format(printf, 1, 2))) struct lyd_node *load(const char *fmt, ...);
/* The JSON parses. */
__attribute__((format(printf, 1, 2))) void ok(const char *fmt, ...);
/* Rejection must be for the expected reason, or a typo in the test would pass. */
__attribute__((format(printf, 2, 3))) void bad(const char *why, const char *fmt, ...);
/* The value at PATH, or NULL when there is no such node. */
const char *value_at(const struct lyd_node *tree, const char *path);
int is_implicit_at(const struct lyd_node *tree, const char *path);
void expect_value(const struct lyd_node *tree, const char *path, const char *want);

#define SKM(leaf, value)                                                                           \
	"{\"opensvr:authority\":{\"security-key-management\":{\"" leaf "\":" value "}}}"

#define SKM_PATH "/opensvr:authority/security-key-management/"

/* One network interface deep inside one router, for interface-level leaves. */
#define IFACE(inner)                                                                               \
	"{\"opensvr:authority\":{\"router\":[{\"name\":\"r1\",\"node\":[{\"name\":\"n1\","         \
	"\"device-interface\":[{\"name\":\"eth0\",\"network-interface\":[{\"name\":\"wan\"," inner \
	"}]}]}]}]}}"

#define IFACE_PATH                                                                                 \
	"/opensvr:authority/router[name='r1']/node[name='n1']/device-interface[name='eth0']/"      \
	"network-interface[name='wan']/"

#define ROUTER(inner) "{\"opensvr:authority\":{\"router\":[{\"name\":\"r1\"," inner "}]}}"

#define ROUTER_PATH "/opensvr:authority/router[name='r1']/"

#endif
