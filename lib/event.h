/* DOC: event loop
 *
 * svrd has one control thread driven by this loop: epoll for file
 * descriptors, one timerfd per timer and one signalfd for all signals.  There
 * are no callbacks from signal context: a signal becomes an ordinary readable
 * fd.  Watchers removed while events are being dispatched are only marked dead
 * and freed after the batch, so a callback may drop any watcher, its own
 * included, without the loop touching freed memory.
 */
#ifndef SVR_EVENT_H
#define SVR_EVENT_H

#include <stdint.h>

struct ev_loop;
struct ev_io;
struct ev_timer;

#define EV_READ	 0x1
#define EV_WRITE 0x4

typedef void (*ev_io_cb)(struct ev_io *io, int fd, unsigned events, void *arg);
typedef void (*ev_timer_cb)(struct ev_timer *t, void *arg);
typedef void (*ev_signal_cb)(int signo, void *arg);

struct ev_loop *ev_loop_new(void);
void ev_loop_free(struct ev_loop *loop);
int ev_loop_run(struct ev_loop *loop);
void ev_loop_break(struct ev_loop *loop);

struct ev_io *ev_io_add(struct ev_loop *loop, int fd, unsigned events, ev_io_cb cb, void *arg);
int ev_io_set(struct ev_io *io, unsigned events);
void ev_io_del(struct ev_io *io);

struct ev_timer *ev_timer_add(struct ev_loop *loop, ev_timer_cb cb, void *arg);
int ev_timer_arm(struct ev_timer *t, uint64_t after_ms, uint64_t interval_ms);
void ev_timer_del(struct ev_timer *t);

int ev_signal_add(struct ev_loop *loop, int signo, ev_signal_cb cb, void *arg);

/* CLOCK_MONOTONIC and CLOCK_REALTIME in milliseconds. */
uint64_t ev_now_ms(void);
uint64_t ev_wallclock_ms(void);

#endif
