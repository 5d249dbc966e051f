/* DOC: svrd
 *
 * The router daemon: one per router node.  It owns the state directory
 * (locked by the PID file), the management socket, the datastore, the key
 * engine with its peer paths, the data plane and its forwarder, and the
 * alarms.  It runs one
 * control thread around the event loop; SIGTERM and SIGINT stop it cleanly
 * (socket and PID file removed; the forwarder's rules go, the forwarding
 * guard stays: see fwd.h).  Without --foreground it detaches, and the
 * parent exits only once the child serves the socket, so "svrd && svrsh"
 * never races.  --clear-forwarding-guard is the operator's way to remove
 * the guard while svrd is stopped.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alarms.h"
#include "datastore.h"
#include "event.h"
#include "fwd.h"
#include "log.h"
#include "mgmt.h"
#include "conductor.h"
#include "netconf.h"
#include "svrd.h"

#define DEFAULT_STATE_DIR   "/var/lib/opensvr"
#define DEFAULT_GROUP	    "opensvr"
#define DEFAULT_ADMIN_GROUP "opensvr-admin"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: svrd [--foreground] [--state-dir DIR] [--socket PATH] [--router NAME]\n"
		"            [--node NAME] [--group GROUP] [--admin-group GROUP] [--verbose]\n"
		"            [--use-last-readable-commit] [--netconf [ADDRESS:]PORT]\n"
		"            [--netconf-tls [ADDRESS:]PORT]\n"
		"       svrd --clear-forwarding-guard [--state-dir DIR]\n"
		"\n"
		"  -f, --foreground   stay in the foreground and log to stderr\n"
		"  -s, --state-dir    state directory (default " DEFAULT_STATE_DIR ")\n"
		"  -S, --socket       management socket (default " MGMT_DEFAULT_SOCKET ")\n"
		"  -r, --router       router name (default: the host name)\n"
		"  -n, --node         node name (default: the host name)\n"
		"  -g, --group        group of the management socket (default " DEFAULT_GROUP ")\n"
		"  -a, --admin-group  group that may change things (default " DEFAULT_ADMIN_GROUP
		"; when it does not exist, the socket's group)\n"
		"  -y, --yang-dir     YANG modules (default " YANGDIR ", or a build tree's own)\n"
		"      --use-last-readable-commit\n"
		"                     when the newest commit is unreadable, run the newest\n"
		"                     readable one (CRITICAL alarm) instead of refusing to start\n"
		"      --netconf [ADDRESS:]PORT\n"
		"                     serve NETCONF over SSH there (users: authority user)\n"
		"      --netconf-tls [ADDRESS:]PORT\n"
		"                     serve NETCONF over TLS there (client certificates from\n"
		"                     a trusted-ca-certificate; common name: authority user)\n"
		"  -v, --verbose      debug logging\n"
		"      --clear-forwarding-guard\n"
		"                     remove the forwarding guard and the forwarder's rules\n"
		"                     left in this network namespace, then exit (svrd on\n"
		"                     DIR must be stopped); traffic to service prefixes\n"
		"                     then leaves in clear\n"
		"  -V, --version      print the version and exit\n");
}

/* The installed svrd reads the installed modules; one run from a build
 * tree reads its own sources' (an older installed copy must not decide
 * what a freshly built svrd accepts), and the installed ones only when
 * the sources are gone. */
static char *default_yang_dir(void)
{
	char exe[PATH_MAX], probe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	bool installed;

	exe[n > 0 ? n : 0] = '\0';
	installed = strcmp(exe, SBINDIR "/svrd") == 0;
	snprintf(probe, sizeof(probe), "%s/opensvr.yang", SOURCE_YANG_DIR);
	if (!installed && access(probe, R_OK) == 0)
		return strdup(SOURCE_YANG_DIR);
	snprintf(probe, sizeof(probe), "%s/opensvr.yang", YANGDIR);
	return strdup(access(probe, R_OK) == 0 ? YANGDIR : SOURCE_YANG_DIR);
}

static void report(const char *what, struct ds_errs *e)
{
	for (size_t i = 0; i < e->n; i++)
		log_warnx("%s%s: %s%s%s", e->v[i].warning ? "warning: " : "", what,
			  e->v[i].path ? e->v[i].path : "", e->v[i].path ? ": " : "", e->v[i].msg);
}

/* Once a second: roll back an unconfirmed commit whose time is up. */
static void on_tick(struct ev_timer *t, void *arg)
{
	struct svrd *d = arg;
	struct ds_errs e = {0};

	(void)t;
	if (ds_tick(d->ds, (int64_t)ev_wallclock_ms(), &e) > 0)
		log_info("commit confirmed expired: rolled back");
	report("automatic rollback", &e);
	ds_errs_free(&e);
}

static void on_stop(int signo, void *arg)
{
	struct svrd *d = arg;

	log_info("signal %d: shutting down", signo);
	ev_loop_break(d->loop);
}

/* --clear-forwarding-guard: the operator lets traffic to service prefixes
 * go in clear while svrd is stopped (a running svrd owns its rules: a
 * commit that removes what they guard is the way there). */
static int clear_forwarding_guard(const char *state_dir)
{
	char path[PATH_MAX], err[256];
	struct stat st;
	int fd = -1, n;

	snprintf(path, sizeof(path), "%s/svrd.pid", state_dir);
	if (stat(state_dir, &st) == 0 && (fd = pidfile_acquire(path, err, sizeof(err))) < 0) {
		fprintf(stderr,
			"svrd: %s: %s; the forwarding guard stays (remove the services routed to "
			"peers, or key management, with a commit)\n",
			state_dir, err);
		return 1;
	}
	fwd_rules_remove(); /* a killed svrd's forwarder rules drop the same traffic */
	n = fwd_guard_remove();
	pidfile_release(fd, path);
	if (n < 0) {
		fprintf(stderr, "svrd: cannot remove the forwarding guard (chain OPENSVR-GUARD in "
				"mangle): iptables failed (root or CAP_NET_ADMIN needed)\n");
		return 1;
	}
	if (n == 0)
		printf("No forwarding guard here\n");
	else
		printf("Forwarding guard removed: traffic to service prefixes is no longer dropped "
		       "while svrd is stopped, and leaves in clear\n");
	return 0;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* After set-up svrd is uid 0 without CAP_DAC_OVERRIDE (privs.c): it can
 * write only where root may as owner, group or other.  Say so at start
 * rather than at the first commit. */
static void check_state_dir(const char *dir)
{
	struct stat st;

	if (geteuid() != 0 || stat(dir, &st) < 0)
		return;
	if ((st.st_uid == 0 && (st.st_mode & S_IWUSR)) ||
	    (st.st_gid == 0 && (st.st_mode & S_IWGRP)) || (st.st_mode & S_IWOTH))
		return;
	fatalx("state directory %s is owned by uid %u and not writable by root as owner or "
	       "group: svrd keeps uid 0 but drops CAP_DAC_OVERRIDE after start, so it could not "
	       "save commits there (chown root %s)",
	       dir, (unsigned)st.st_uid, dir);
}

static char *dirname_dup(const char *path)
{
	char *d = strdup(path);
	char *slash = d ? strrchr(d, '/') : NULL;

	if (slash && slash != d)
		*slash = '\0';
	else if (d)
		strcpy(d, slash ? "/" : ".");
	return d;
}

/* Fork; the parent waits for one byte on the pipe (the child is serving) and
 * exits with the child's verdict. */
static int daemonize(int *notify_fd)
{
	int p[2];
	pid_t pid;
	char c = 1;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			c = 1;
		_exit(c ? 1 : 0);
	}
	close(p[0]);
	setsid();
	*notify_fd = p[1];
	return 0;
}

static void detach_stdio(void)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

/* A conductor holds a session per router (thousands): the soft limit on
 * open files goes up to the hard one. */
static void open_files_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"foreground", no_argument, NULL, 'f'},
		{"state-dir", required_argument, NULL, 's'},
		{"socket", required_argument, NULL, 'S'},
		{"router", required_argument, NULL, 'r'},
		{"node", required_argument, NULL, 'n'},
		{"group", required_argument, NULL, 'g'},
		{"admin-group", required_argument, NULL, 'a'},
		{"yang-dir", required_argument, NULL, 'y'},
		{"verbose", no_argument, NULL, 'v'},
		{"version", no_argument, NULL, 'V'},
		{"clear-forwarding-guard", no_argument, NULL, 'G'},
		{"help", no_argument, NULL, 'h'},
		{"use-last-readable-commit", no_argument, NULL, 'L'},
		{"netconf", required_argument, NULL, 'N'},
		{"netconf-tls", required_argument, NULL, 'T'},
		{NULL, 0, NULL, 0},
	};
	struct svrd d = {.pid_fd = -1, .admin_gid = (gid_t)-1, .sock_gid = (gid_t)-1};
	const char *state_dir = DEFAULT_STATE_DIR, *group = DEFAULT_GROUP;
	const char *admin_group = DEFAULT_ADMIN_GROUP, *netconf_listen = NULL;
	const char *netconf_tls = NULL;
	char host[256] = "localhost", err[512], pidpath[PATH_MAX], *sockdir;
	int foreground = 0, verbose = 0, notify_fd = -1, ch, rc = 1, clear_guard = 0;
	unsigned ds_flags = 0;
	struct group *gr;

	while ((ch = getopt_long(argc, argv, "fs:S:r:n:g:a:y:vVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			foreground = 1;
			break;
		case 's':
			state_dir = optarg;
			break;
		case 'S':
			d.socket_path = strdup(optarg);
			break;
		case 'r':
			d.router = strdup(optarg);
			break;
		case 'n':
			d.node = strdup(optarg);
			break;
		case 'g':
			group = optarg;
			break;
		case 'a':
			admin_group = optarg;
			break;
		case 'y':
			d.yang_dir = strdup(optarg);
			break;
		case 'v':
			verbose = 1;
			break;
		case 'L':
			ds_flags |= DS_OPEN_LAST_READABLE;
			break;
		case 'N':
			netconf_listen = optarg;
			break;
		case 'T':
			netconf_tls = optarg;
			break;
		case 'V':
			printf("svrd (opensvr) %s\n", PACKAGE_VERSION);
			return 0;
		case 'G':
			clear_guard = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "svrd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (clear_guard)
		return clear_forwarding_guard(state_dir);
	log_init("svrd", LOG_TO_STDERR, verbose);
	gethostname(host, sizeof(host) - 1);
	host[strcspn(host, ".")] = '\0';
	if (!d.router)
		d.router = strdup(host);
	if (!d.node)
		d.node = strdup(host);
	if (!d.socket_path)
		d.socket_path = strdup(MGMT_DEFAULT_SOCKET);
	d.state_dir = strdup(state_dir);
	if ((gr = getgrnam(group)) != NULL)
		d.sock_gid = gr->gr_gid;
	/* Without an admin group, everyone who may open the socket is an admin. */
	if ((gr = getgrnam(admin_group)) != NULL)
		d.admin_gid = gr->gr_gid;
	else
		d.admin_gid = d.sock_gid;

	if (mkdir_p(d.state_dir, 0750) < 0)
		fatal("cannot create state directory %s", d.state_dir);
	check_state_dir(d.state_dir);
	sockdir = dirname_dup(d.socket_path);
	if (!sockdir || mkdir_p(sockdir, 0755) < 0)
		fatal("cannot create socket directory for %s", d.socket_path);
	free(sockdir);
	snprintf(pidpath, sizeof(pidpath), "%s/svrd.pid", d.state_dir);
	d.pid_fd = pidfile_acquire(pidpath, err, sizeof(err));
	if (d.pid_fd < 0)
		fatalx("%s: %s", d.state_dir, err);

	if (!foreground && daemonize(&notify_fd) < 0)
		fatal("cannot detach");
	if (pidfile_write(d.pid_fd) < 0)
		fatal("cannot write %s", pidpath);

	d.loop = ev_loop_new();
	if (!d.loop)
		fatal("event loop");
	d.start_ms = ev_now_ms();
	signal(SIGPIPE, SIG_IGN);
	open_files_limit();
	if (ev_signal_add(d.loop, SIGTERM, on_stop, &d) < 0 ||
	    ev_signal_add(d.loop, SIGINT, on_stop, &d) < 0)
		fatal("signals");
	if (!d.yang_dir)
		d.yang_dir = default_yang_dir();
	{
		struct ds_errs e = {0};
		bool unreadable;

		d.ds = ds_open_flags(d.yang_dir, d.state_dir, (int64_t)ev_wallclock_ms(), ds_flags,
				     &e);
		unreadable = !d.ds && errno == EBADMSG;
		report("configuration", &e);
		ds_errs_free(&e);
		if (!d.ds && !unreadable) {
			pidfile_release(d.pid_fd, pidpath);
			fatalx("cannot open the configuration datastore");
		}
		if (!d.ds) {
			pidfile_release(d.pid_fd, pidpath);
			fatalx("cannot open the configuration datastore; svrd does not run an "
			       "older configuration on its own: restore the unreadable file, or "
			       "start svrd with --use-last-readable-commit");
		}
	}
	d.tick = ev_timer_add(d.loop, on_tick, &d);
	if (!d.tick || ev_timer_arm(d.tick, 1000, 1000) < 0)
		fatal("timer");
	d.alarms = alarm_store_new(d.node, 1000);
	if (ds_unreadable(d.ds))
		alarm_raise(d.alarms, "config-unreadable", ALARM_CRITICAL, d.node, "CONFIG", "svrd",
			    ds_unreadable(d.ds), (int64_t)(ev_wallclock_ms() / 1000));
	if (alarms_register_state(&d) < 0)
		log_warnx("alarms: not in the operational state");
	d.peers = peers_start(&d);
	d.dataplane = dataplane_start(&d);
	d.mgmt = mgmt_server_start(&d, err, sizeof(err));
	if (!d.mgmt) {
		pidfile_release(d.pid_fd, pidpath);
		fatalx("%s", err);
	}
	conductor_start(&d);
	enrolment_start(&d);
	if ((netconf_listen || netconf_tls) &&
	    !(d.netconf = netconf_start(&d, netconf_listen, netconf_tls, err, sizeof(err)))) {
		pidfile_release(d.pid_fd, pidpath);
		fatalx("%s", err);
	}
	/* Set up: from here on CAP_NET_ADMIN and CAP_NET_RAW are enough. */
	if (privs_drop(err, sizeof(err)) < 0) {
		pidfile_release(d.pid_fd, pidpath);
		fatalx("%s", err);
	}
	if (notify_fd >= 0) {
		char ok = 0;

		log_init("svrd", LOG_TO_SYSLOG, verbose);
		detach_stdio();
		if (write(notify_fd, &ok, 1) != 1)
			log_warn("cannot notify parent");
		close(notify_fd);
	}
	log_info("router %s node %s serving %s (state %s)", d.router, d.node, d.socket_path,
		 d.state_dir);

	if (ev_loop_run(d.loop) == 0)
		rc = 0;

	netconf_stop(d.netconf);
	conductor_stop(d.conductor);
	enrolment_forget();
	mgmt_server_stop(d.mgmt);
	dataplane_stop(d.dataplane);
	peers_stop(d.peers);
	alarm_store_free(d.alarms);
	ev_timer_del(d.tick);
	ds_close(d.ds);
	ev_loop_free(d.loop);
	pidfile_release(d.pid_fd, pidpath);
	log_info("stopped");
	free(d.state_dir);
	free(d.socket_path);
	free(d.router);
	free(d.node);
	free(d.yang_dir);
	return rc;
}
