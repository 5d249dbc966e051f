/* Test helpers that run the real programs: svrd in a private state
 * directory, svrsh against it. */
#ifndef SVR_TEST_PROC_H
#define SVR_TEST_PROC_H

#include <sys/types.h>

struct svrd_proc {
	pid_t pid;
	char dir[256];
	char state[300];
	char sock[300];
};

/* Start svrd --foreground in a fresh temporary directory and wait until it
 * serves its socket.  Returns 0, or -1 if it did not come up in 5 s. */
int svrd_start(struct svrd_proc *p, const char *router, const char *node);
/* Run svrd with extra arguments on p's state dir and socket; capture output. */
int svrd_run(const struct svrd_proc *p, char **out, int *status);
/* SIGTERM and reap; returns the exit status or -1. */
int svrd_stop(struct svrd_proc *p);
/* Stop svrd if running and remove the temporary directory. */
void svrd_cleanup(struct svrd_proc *p);
/* svrd_cleanup() every svrd still running: the fini of every suite that
 * starts one, since a failed assertion skips the test's own cleanup. */
void svrd_cleanup_all(void);
/* Run argv with OPENSVR_SOCKET=sock, stdin from in (may be NULL: /dev/null);
 * stdout+stderr into *out (malloc'd).  *status is the exit status. */
int run_capture(char *const argv[], const char *sock, const char *in, char **out, int *status);
const char *prog_path(const char *env, const char *fallback);

#endif
