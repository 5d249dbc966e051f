#include <criterion/criterion.h>
#include <signal.h>
#include <unistd.h>

#include "event.h"

struct counter {
	struct ev_loop *loop;
	int fired;
	int stop_at;
};

static void tick(struct ev_timer *t, void *arg)
{
	struct counter *c = arg;

	(void)t;
	if (++c->fired == c->stop_at)
		ev_loop_break(c->loop);
}

Test(event, periodic_timer_fires_and_breaks)
{
	struct counter c = {ev_loop_new(), 0, 3};
	struct ev_timer *t = ev_timer_add(c.loop, tick, &c);
	uint64_t t0 = ev_now_ms();

	cr_assert_not_null(t);
	cr_assert_eq(ev_timer_arm(t, 10, 10), 0);
	cr_assert_eq(ev_loop_run(c.loop), 0);
	cr_assert_eq(c.fired, 3);
	cr_assert_geq(ev_now_ms() - t0, 25);
	ev_timer_del(t);
	ev_loop_free(c.loop);
}

static void on_sig(int signo, void *arg)
{
	struct counter *c = arg;

	cr_assert_eq(signo, SIGUSR1);
	c->fired++;
	ev_loop_break(c->loop);
}

Test(event, signal_becomes_an_event)
{
	struct counter c = {ev_loop_new(), 0, 0};

	cr_assert_eq(ev_signal_add(c.loop, SIGUSR1, on_sig, &c), 0);
	kill(getpid(), SIGUSR1);
	cr_assert_eq(ev_loop_run(c.loop), 0);
	cr_assert_eq(c.fired, 1);
	ev_loop_free(c.loop);
}

struct pair {
	struct ev_loop *loop;
	struct ev_io *a, *b;
	int calls;
};

/* Whichever fd fires first deletes both watchers: the other, already
 * reported by epoll in the same batch, must not be dispatched. */
static void kill_both(struct ev_io *io, int fd, unsigned events, void *arg)
{
	struct pair *p = arg;
	char buf[8];

	(void)io;
	(void)events;
	cr_assert(read(fd, buf, sizeof(buf)) > 0);
	p->calls++;
	ev_io_del(p->a);
	ev_io_del(p->b);
	ev_loop_break(p->loop);
}

Test(event, deleting_a_pending_watcher_is_safe)
{
	int x[2], y[2];
	struct pair p = {ev_loop_new(), NULL, NULL, 0};

	cr_assert_eq(pipe(x), 0);
	cr_assert_eq(pipe(y), 0);
	p.a = ev_io_add(p.loop, x[0], EV_READ, kill_both, &p);
	p.b = ev_io_add(p.loop, y[0], EV_READ, kill_both, &p);
	cr_assert(write(x[1], "1", 1) == 1 && write(y[1], "1", 1) == 1);
	cr_assert_eq(ev_loop_run(p.loop), 0);
	cr_assert_eq(p.calls, 1);
	ev_loop_free(p.loop);
	close(x[0]);
	close(x[1]);
	close(y[0]);
	close(y[1]);
}
