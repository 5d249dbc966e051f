/* Raw terminal mode for the interactive shell.  libcli does its own line
 * editing and echo and ends lines on '\r', so the terminal must pass every
 * key through untouched; the original mode is restored at exit, also after
 * a fatal signal. */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include "svrsh.h"

static struct termios saved;
static int saved_fd = -1;

void tty_raw_end(void)
{
	if (saved_fd >= 0) {
		tcsetattr(saved_fd, TCSAFLUSH, &saved);
		saved_fd = -1;
	}
}

static void on_fatal(int signo)
{
	tty_raw_end();
	signal(signo, SIG_DFL);
	raise(signo);
}

int tty_raw_begin(int fd)
{
	struct termios t;

	if (tcgetattr(fd, &saved) < 0)
		return -1;
	saved_fd = fd;
	atexit(tty_raw_end);
	signal(SIGTERM, on_fatal);
	signal(SIGHUP, on_fatal);
	t = saved;
	t.c_iflag &= ~(tcflag_t)(ICRNL | INLCR | IGNCR | IXON | ISTRIP);
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ECHONL | ISIG | IEXTEN);
	t.c_oflag &= ~(tcflag_t)OPOST; /* libcli writes its own CR LF */
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	return tcsetattr(fd, TCSAFLUSH, &t);
}
