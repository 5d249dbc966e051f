/* epoll/timerfd/signalfd event loop; see event.h. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "log.h"

#define EV_MAX_SIGNAL 65

enum watcher_kind { W_IO, W_TIMER, W_SIGNAL };

struct ev_io {
	struct ev_loop *loop;
	enum watcher_kind kind;
	int fd;
	int dead;
	unsigned events;
	ev_io_cb cb;
	void *arg;
	struct ev_timer *timer; /* back pointer for W_TIMER */
	struct ev_io *next_dead;
};

struct ev_timer {
	struct ev_io io;
	ev_timer_cb cb;
	void *arg;
};

struct ev_loop {
	int epfd;
	int running;
	struct ev_io *dead;
	struct ev_io *sigio;
	sigset_t sigmask;
	ev_signal_cb sigcb[EV_MAX_SIGNAL];
	void *sigarg[EV_MAX_SIGNAL];
};

static uint32_t to_epoll(unsigned events)
{
	uint32_t e = 0;

	if (events & EV_READ)
		e |= EPOLLIN;
	if (events & EV_WRITE)
		e |= EPOLLOUT;
	return e;
}

struct ev_loop *ev_loop_new(void)
{
	struct ev_loop *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return NULL;
	}
	sigemptyset(&loop->sigmask);
	return loop;
}

static void reap(struct ev_loop *loop)
{
	while (loop->dead) {
		struct ev_io *io = loop->dead;

		loop->dead = io->next_dead;
		if (io->kind == W_TIMER)
			free(io->timer);
		else
			free(io);
	}
}

static void watcher_kill(struct ev_io *io)
{
	if (!io || io->dead)
		return;
	epoll_ctl(io->loop->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	if (io->kind != W_IO)
		close(io->fd);
	io->dead = 1;
	io->next_dead = io->loop->dead;
	io->loop->dead = io;
}

void ev_loop_free(struct ev_loop *loop)
{
	if (!loop)
		return;
	watcher_kill(loop->sigio);
	reap(loop);
	if (!sigisemptyset(&loop->sigmask))
		sigprocmask(SIG_UNBLOCK, &loop->sigmask, NULL);
	close(loop->epfd);
	free(loop);
}

static int watcher_init(struct ev_loop *loop, struct ev_io *io, enum watcher_kind kind, int fd,
			unsigned events)
{
	struct epoll_event ev = {.events = to_epoll(events), .data.ptr = io};

	io->loop = loop;
	io->kind = kind;
	io->fd = fd;
	io->events = events;
	return epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev);
}

struct ev_io *ev_io_add(struct ev_loop *loop, int fd, unsigned events, ev_io_cb cb, void *arg)
{
	struct ev_io *io = calloc(1, sizeof(*io));

	if (!io)
		return NULL;
	io->cb = cb;
	io->arg = arg;
	if (watcher_init(loop, io, W_IO, fd, events) < 0) {
		free(io);
		return NULL;
	}
	return io;
}

int ev_io_set(struct ev_io *io, unsigned events)
{
	struct epoll_event ev = {.events = to_epoll(events), .data.ptr = io};

	if (io->events == events)
		return 0;
	io->events = events;
	return epoll_ctl(io->loop->epfd, EPOLL_CTL_MOD, io->fd, &ev);
}

void ev_io_del(struct ev_io *io)
{
	watcher_kill(io);
}

struct ev_timer *ev_timer_add(struct ev_loop *loop, ev_timer_cb cb, void *arg)
{
	struct ev_timer *t = calloc(1, sizeof(*t));
	int fd;

	if (!t)
		return NULL;
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0) {
		free(t);
		return NULL;
	}
	t->cb = cb;
	t->arg = arg;
	t->io.timer = t;
	if (watcher_init(loop, &t->io, W_TIMER, fd, EV_READ) < 0) {
		close(fd);
		free(t);
		return NULL;
	}
	return t;
}

static void ms_to_ts(uint64_t ms, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ms / 1000);
	ts->tv_nsec = (long)(ms % 1000) * 1000000L;
}

int ev_timer_arm(struct ev_timer *t, uint64_t after_ms, uint64_t interval_ms)
{
	struct itimerspec its = {0};

	/* A zero it_value disarms a timerfd; "now" is 1 ns from now. */
	ms_to_ts(after_ms, &its.it_value);
	if (after_ms == 0)
		its.it_value.tv_nsec = 1;
	ms_to_ts(interval_ms, &its.it_interval);
	return timerfd_settime(t->io.fd, 0, &its, NULL);
}

void ev_timer_del(struct ev_timer *t)
{
	if (t)
		watcher_kill(&t->io);
}

int ev_signal_add(struct ev_loop *loop, int signo, ev_signal_cb cb, void *arg)
{
	int fd;

	if (signo <= 0 || signo >= EV_MAX_SIGNAL)
		return -1;
	loop->sigcb[signo] = cb;
	loop->sigarg[signo] = arg;
	sigaddset(&loop->sigmask, signo);
	if (sigprocmask(SIG_BLOCK, &loop->sigmask, NULL) < 0)
		return -1;
	fd = signalfd(loop->sigio ? loop->sigio->fd : -1, &loop->sigmask,
		      SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (loop->sigio)
		return 0;
	loop->sigio = calloc(1, sizeof(*loop->sigio));
	if (!loop->sigio || watcher_init(loop, loop->sigio, W_SIGNAL, fd, EV_READ) < 0) {
		free(loop->sigio);
		loop->sigio = NULL;
		close(fd);
		return -1;
	}
	return 0;
}

static void dispatch_signals(struct ev_loop *loop)
{
	struct signalfd_siginfo si;

	while (read(loop->sigio->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		int signo = (int)si.ssi_signo;

		if (signo > 0 && signo < EV_MAX_SIGNAL && loop->sigcb[signo])
			loop->sigcb[signo](signo, loop->sigarg[signo]);
	}
}

static void dispatch(struct ev_io *io, uint32_t e)
{
	uint64_t expirations;
	unsigned events = 0;

	if (io->dead)
		return;
	switch (io->kind) {
	case W_TIMER:
		if (read(io->fd, &expirations, sizeof(expirations)) != (ssize_t)sizeof(expirations))
			return;
		io->timer->cb(io->timer, io->timer->arg);
		break;
	case W_SIGNAL:
		dispatch_signals(io->loop);
		break;
	case W_IO:
		if (e & (EPOLLIN | EPOLLHUP | EPOLLERR))
			events |= EV_READ;
		if (e & EPOLLOUT)
			events |= EV_WRITE;
		io->cb(io, io->fd, events, io->arg);
		break;
	}
}

int ev_loop_run(struct ev_loop *loop)
{
	struct epoll_event evs[64];

	loop->running = 1;
	while (loop->running) {
		int n = epoll_wait(loop->epfd, evs, 64, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_warn("epoll_wait");
			return -1;
		}
		for (int i = 0; i < n; i++)
			dispatch(evs[i].data.ptr, evs[i].events);
		reap(loop);
	}
	return 0;
}

void ev_loop_break(struct ev_loop *loop)
{
	loop->running = 0;
}

static uint64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t ev_now_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

uint64_t ev_wallclock_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}
