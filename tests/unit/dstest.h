/* The datastore tests' helpers (test_datastore.c, test_ds_store.c): a
 * datastore in a temporary state directory (dir) with a PCLI session on
 * it, remade for every test of the suite "ds", and a clock the tests
 * give. */
#ifndef SVR_DSTEST_H
#define SVR_DSTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define T0 1795000000000LL /* a fixed wall clock, in ms */

extern char dir[64];
extern char yang[512];
extern struct ds *ds;
extern struct pcli_session *ps;
/* The seed's sample configuration, in PCLI. */
extern const char *SEED;

/* Open (again) the datastore of dir at now, with a new session. */
void open_ds(int64_t now);
void close_ds(void);
void setup(void);
void teardown(void);
/* Apply PCLI text in the session: the number of errors, the first in msg. */
size_t apply(const char *text, char *msg, size_t len);
/* Commit at now (confirm: minutes, 0 for a plain commit): the commit's
 * number, or 0 with the first error in msg. */
uint32_t commit(const char *comment, uint32_t confirm, int64_t now, char *msg, size_t len);
/* Running in PCLI text (caller frees). */
char *running_text(void);
/* Does running hold spec, a data path (with "=value" for a leaf)? */
bool has(const char *spec);

#endif
