/* Test helpers that run real processes; see proc.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <poll.h>
#include <stdint.h>

#include "frame.h"
#include "proc.h"
#include "sock.h"

const char *prog_path(const char *env, const char *fallback)
{
	const char *v = getenv(env);

	return v && *v ? v : fallback;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Every svrd a test starts, so that a failed assertion (which leaves the
 * test function at once) still ends them in the suite's fini hook. */
#define MAX_TRACKED 16
static struct svrd_proc tracked[MAX_TRACKED]; /* copies: the test's own may be gone */

static struct svrd_proc *find_tracked(const struct svrd_proc *p)
{
	for (int i = 0; i < MAX_TRACKED; i++)
		if (tracked[i].dir[0] && strcmp(tracked[i].dir, p->dir) == 0)
			return &tracked[i];
	return NULL;
}

static void track(const struct svrd_proc *p)
{
	struct svrd_proc *t = find_tracked(p);

	for (int i = 0; !t && i < MAX_TRACKED; i++)
		if (!tracked[i].dir[0])
			t = &tracked[i];
	if (t)
		*t = *p;
}

void svrd_cleanup_all(void)
{
	for (int i = 0; i < MAX_TRACKED; i++) {
		if (tracked[i].dir[0]) {
			struct svrd_proc copy = tracked[i];

			svrd_cleanup(&copy);
		}
	}
}

/* svrd has set up, privileges dropped, when it answers a request: its
 * socket takes connections a little before (the loop serves them only
 * once setup is done).  0, or -1 after 5 s. */
static int answered(int fd)
{
	static const char req[] = "{\"id\":1,\"op\":\"get-version\",\"args\":{}}";
	uint8_t hdr[4];
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	frame_header(hdr, (uint32_t)strlen(req));
	if (sock_write_all(fd, hdr, 4) < 0 || sock_write_all(fd, req, strlen(req)) < 0)
		return -1;
	return poll(&pfd, 1, 5000) == 1 ? 0 : -1;
}

int svrd_start(struct svrd_proc *p, const char *router, const char *node)
{
	const char *svrd = prog_path("SVRD", "daemon/svrd");
	char log[400];

	memset(p, 0, sizeof(*p));
	snprintf(p->dir, sizeof(p->dir), "/tmp/svrtest.XXXXXX");
	if (!mkdtemp(p->dir))
		return -1;
	snprintf(p->state, sizeof(p->state), "%s/state", p->dir);
	snprintf(p->sock, sizeof(p->sock), "%s/svrd.sock", p->dir);
	snprintf(log, sizeof(log), "%s/svrd.log", p->dir);
	p->pid = fork();
	if (p->pid < 0)
		return -1;
	if (p->pid == 0) {
		int fd = open("/dev/null", O_RDWR);
		int logfd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		/* Not the test's stdout: that pipe must close when the test ends. */
		dup2(fd, 0);
		dup2(logfd, 1);
		dup2(logfd, 2);
		execl(svrd, "svrd", "--foreground", "--state-dir", p->state, "--socket", p->sock,
		      "--router", router, "--node", node, (char *)NULL);
		_exit(127);
	}
	track(p);
	for (int i = 0; i < 500; i++) {
		int fd = sock_unix_connect(p->sock);

		if (fd >= 0) {
			int rc = answered(fd);

			close(fd);
			return rc;
		}
		if (waitpid(p->pid, NULL, WNOHANG) == p->pid) {
			p->pid = 0;
			return -1;
		}
		sleep_ms(10);
	}
	return -1;
}

int svrd_stop(struct svrd_proc *p)
{
	int st;

	if (p->pid <= 0)
		return -1;
	if (find_tracked(p))
		find_tracked(p)->pid = 0;
	kill(p->pid, SIGTERM);
	for (int i = 0; i < 500; i++) {
		if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
			p->pid = 0;
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
		sleep_ms(10);
	}
	kill(p->pid, SIGKILL);
	waitpid(p->pid, &st, 0);
	p->pid = 0;
	return -1;
}

void svrd_cleanup(struct svrd_proc *p)
{
	struct svrd_proc *t = find_tracked(p);
	char cmd[400];

	if (t)
		t->dir[0] = '\0';
	if (p->pid > 0)
		svrd_stop(p);
	if (p->dir[0] && strncmp(p->dir, "/tmp/svrtest.", 13) == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", p->dir);
		p->dir[0] = '\0';
	}
}

int run_capture(char *const argv[], const char *sock, const char *in, char **out, int *status)
{
	int pipefd[2];
	pid_t pid;
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;
	int st;

	if (!buf || pipe(pipefd) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(in ? in : "/dev/null", O_RDONLY);

		dup2(fd, 0);
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		close(pipefd[1]);
		if (sock)
			setenv("OPENSVR_SOCKET", sock, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 2) {
			cap *= 2;
			buf = realloc(buf, cap);
		}
	}
	close(pipefd[0]);
	buf[len] = '\0';
	waitpid(pid, &st, 0);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	*out = buf;
	return 0;
}

int svrd_run(const struct svrd_proc *p, char **out, int *status)
{
	char *argv[] = {(char *)prog_path("SVRD", "daemon/svrd"),
			"--foreground",
			"--state-dir",
			(char *)p->state,
			"--socket",
			(char *)p->sock,
			NULL};

	return run_capture(argv, NULL, NULL, out, status);
}
