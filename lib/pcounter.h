/* DOC: persistent monotonic counters
 *
 * A counter kept in one file of the state directory that only ever
 * grows, whatever the clock does and however svrd stops: key-exchange
 * generations, metadata-key indexes and the datapath's sequence epochs
 * come from such counters, so that a restart after a clock step (or a
 * crash) can neither present a number a peer already holds as newer, nor
 * repeat a sequence number, and so a CBC IV, under one key.
 *
 * The file holds a ceiling: every value below it may have been handed out
 * already.  Opening a counter starts it at the ceiling and writes a new
 * ceiling (start + step) before any value is handed out; a reservation
 * that would pass the ceiling writes the next one first.  So a value is
 * never handed out twice, and the file is written once every step values.
 * A file that cannot be read or written is an error, never a fresh start:
 * starting again from 1 is exactly what the counter exists to prevent.
 */
#ifndef SVR_PCOUNTER_H
#define SVR_PCOUNTER_H

#include <stddef.h>
#include <stdint.h>

struct pcounter;

/* Open (or create, starting at 1) the counter in path; step values are
 * reserved on disk at a time.  NULL with the reason in err. */
struct pcounter *pcounter_open(const char *path, uint64_t step, char *err, size_t errlen);
/* Take n consecutive values; *first is the first of them.  0, or -1 when
 * the new ceiling cannot be written (nothing is handed out then). */
int pcounter_reserve(struct pcounter *c, uint64_t n, uint64_t *first);
void pcounter_close(struct pcounter *c);

#endif
