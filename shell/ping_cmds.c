/* DOC: ping and traceroute through SVR
 *
 * "ping DESTINATION" and "traceroute DESTINATION" test the path a LAN
 * host's traffic takes: they send from this router's LAN address (the
 * first of the destination's family on a LAN interface of the data plane,
 * or "source ADDRESS"), and the data plane takes the router's own packets
 * from a LAN prefix to a service like a LAN host's (nfqueue: through SVR;
 * the captures cannot see them, so there they are dropped, never sent in
 * clear).  Both run the system's ping in the router's network namespace
 * (the shell's), print its lines as they come, and stop at Ctrl-C.
 * traceroute is ping with a growing TTL, one probe a hop.
 */
#include "config.h"

#include <libcli.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "svrsh.h"

struct probe {
	const char *dest, *source;
	long count, size, hops;
};

static const char *const ping_words[] = {"count", "size", "source", "max-hops", NULL};

static int probe_args(struct cli_def *cli, const char *command, int argc, char **argv,
		      struct probe *p)
{
	memset(p, 0, sizeof(*p));
	p->count = 5;
	p->hops = 16;
	for (int i = 0; i < argc; i++) {
		bool amb;
		const char *w = svrsh_keyword(argv[i], ping_words, &amb);
		char *end;
		long v, max;

		if (!w && !p->dest && !amb && argv[i][0] != '-') {
			p->dest = argv[i];
			continue;
		}
		if (!w || i + 1 == argc) {
			cli_error(cli,
				  "%% Error: %s DESTINATION [count N] [size BYTES] [source "
				  "ADDRESS]%s, not '%s'",
				  command,
				  strcmp(command, "traceroute") == 0 ? " [max-hops N]" : "",
				  argv[i]);
			return -1;
		}
		if (strcmp(w, "source") == 0) {
			p->source = argv[++i];
			continue;
		}
		max = strcmp(w, "size") == 0 ? 65000 : 255;
		v = strtol(argv[++i], &end, 10);
		if (*end || v < 1 || v > max) {
			cli_error(cli, "%% Error: %s %s: '%s' is not 1..%ld", command, w, argv[i],
				  max);
			return -1;
		}
		*(strcmp(w, "count") == 0  ? &p->count
		  : strcmp(w, "size") == 0 ? &p->size
					   : &p->hops) = v;
	}
	if (!p->dest) {
		cli_error(cli, "%% Error: %s DESTINATION: which address?", command);
		return -1;
	}
	return 0;
}

/* This node's first LAN address of dest's family (no link-local), into
 * buf; NULL when it has none. */
static const char *lan_source(struct svrsh *sh, const char *dest, char *buf, size_t len)
{
	struct json *r = svrsh_call_quiet(sh, "get-state", NULL);
	const struct json *top = json_get(json_get(r, "state"), "opensvr:authority-state");
	const struct json *node = json_at(json_get(json_at(json_get(top, "router"), 0), "node"), 0);
	const struct json *ifs = json_get(node, "interface");
	bool v6 = strchr(dest, ':') != NULL;
	const char *found = NULL;

	for (size_t i = 0; i < json_len(ifs) && !found; i++) {
		const struct json *a = json_get(json_at(ifs, i), "address");

		if (strcmp(json_get_str(json_at(ifs, i), "role", ""), "lan") != 0)
			continue;
		for (size_t k = 0; k < json_len(a) && !found; k++) {
			const char *ad = json_str(json_at(a, k));

			if (ad && (strchr(ad, ':') != NULL) == v6 && strncmp(ad, "fe80", 4) != 0) {
				snprintf(buf, len, "%.*s", (int)strcspn(ad, "/"), ad);
				found = buf;
			}
		}
	}
	json_free(r);
	return found;
}

/* Run ping with args; each line it prints goes to line(); Ctrl-C at the
 * terminal stops it.  Its exit status, or -1. */
static int run_ping(struct svrsh *sh, char *const *args, void (*line)(void *, const char *),
		    void *arg)
{
	int fds[2], status = -1;
	pid_t pid;
	char buf[4096];
	size_t have = 0;

	if (pipe(fds) < 0)
		return -1;
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		execvp(args[0], args);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		struct pollfd p[2] = {{fds[0], POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
		ssize_t n;
		char *nl;

		if (poll(p, sh->batch ? 1 : 2, -1) < 0)
			break;
		if (!sh->batch && (p[1].revents & POLLIN)) {
			char c;

			if (read(STDIN_FILENO, &c, 1) == 1 && c == 3)
				kill(pid, SIGINT);
		}
		if (!(p[0].revents & (POLLIN | POLLHUP)))
			continue;
		if ((n = read(fds[0], buf + have, sizeof(buf) - 1 - have)) <= 0)
			break;
		have += (size_t)n;
		buf[have] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			line(arg, buf);
			have -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, have + 1);
		}
		if (have == sizeof(buf) - 1) /* a line longer than the buffer */
			line(arg, buf), have = 0;
	}
	close(fds[0]);
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void print_line(void *cli, const char *l)
{
	cli_print(cli, "%s", l);
}

static const char *source_of(struct cli_def *cli, const struct probe *p, char *buf, size_t len)
{
	const char *src = p->source ? p->source : lan_source(svrsh_of(cli), p->dest, buf, len);

	if (!src)
		cli_error(
			cli,
			"%% Error: this node has no LAN address for %s (source ADDRESS names one)",
			p->dest);
	return src;
}

static int cmd_ping(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct probe p;
	char src[64], count[16], size[16];
	const char *s;
	int rc;

	if (probe_args(cli, command, argc, argv, &p) < 0 ||
	    !(s = source_of(cli, &p, src, sizeof(src))))
		return CLI_ERROR;
	snprintf(count, sizeof(count), "%ld", p.count);
	snprintf(size, sizeof(size), "%ld", p.size ? p.size : 56);
	{
		char *const args[] = {"ping",	 "-n", "-c", count, "-W",	    "2", "-I",
				      (char *)s, "-s", size, "--",  (char *)p.dest, NULL};

		rc = run_ping(svrsh_of(cli), args, print_line, cli);
	}
	if (rc == 0)
		return CLI_OK;
	cli_error(cli, "%% Error: %s", rc == 1 ? "no reply" : "ping could not run");
	return CLI_ERROR;
}

/* One traceroute probe's answer, from ping's lines. */
struct hop {
	char from[64];
	bool reached;
};

/* The address after word in l ("from 2001:db8::1: icmp_seq=1"): up to
 * the next blank, less a trailing colon. */
static bool address_after(const char *l, const char *word, char *out, size_t len)
{
	const char *f = strstr(l, word);
	size_t n;

	if (!f)
		return false;
	f += strlen(word);
	n = strcspn(f, " ");
	if (n && f[n - 1] == ':')
		n--;
	snprintf(out, len, "%.*s", (int)n, f);
	return n > 0;
}

static void hop_line(void *arg, const char *l)
{
	struct hop *h = arg;

	if (strstr(l, " bytes from ") && address_after(l, " bytes from ", h->from, sizeof(h->from)))
		h->reached = true;
	else if (strstr(l, "Time to live exceeded") || strstr(l, "Time exceeded"))
		address_after(l, "From ", h->from, sizeof(h->from));
}

static int cmd_traceroute(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct probe p;
	char src[64], ttl[24];
	const char *s;

	if (probe_args(cli, command, argc, argv, &p) < 0 ||
	    !(s = source_of(cli, &p, src, sizeof(src))))
		return CLI_ERROR;
	cli_print(cli, "traceroute to %s from %s, %ld hops at most", p.dest, s, p.hops);
	for (long t = 1; t <= p.hops; t++) {
		struct hop h = {{0}, false};
		struct timespec a, b;
		char *const args[] = {"ping", "-n", "-c",      "1",  "-W",	     "2", "-t",
				      ttl,    "-I", (char *)s, "--", (char *)p.dest, NULL};

		snprintf(ttl, sizeof(ttl), "%ld", t);
		clock_gettime(CLOCK_MONOTONIC, &a);
		if (run_ping(svrsh_of(cli), args, hop_line, &h) < 0)
			return CLI_ERROR;
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (h.from[0])
			cli_print(cli, "%3ld  %-40s %.1f ms", t, h.from,
				  (double)(b.tv_sec - a.tv_sec) * 1e3 +
					  (b.tv_nsec - a.tv_nsec) / 1e6);
		else
			cli_print(cli, "%3ld  *", t);
		if (h.reached)
			return CLI_OK;
	}
	cli_error(cli, "%% Error: %s not reached in %ld hops", p.dest, p.hops);
	return CLI_ERROR;
}

void ping_commands_register(struct svrsh *sh)
{
	static const struct arg_slot args[] = {
		{NULL, "destination", "An address behind a peer (a service's)", 0, NULL},
		{"count", "n", "How many echo requests (5 by default)", ARG_OPTIONAL, NULL},
		{"size", "bytes", "The payload of each (56 by default)", ARG_OPTIONAL, NULL},
		{"source", "address", "The source (by default this node's LAN address)",
		 ARG_OPTIONAL, NULL},
		{0},
	};
	static const struct arg_slot trace_args[] = {
		{NULL, "destination", "An address behind a peer (a service's)", 0, NULL},
		{"max-hops", "n", "How far to go (16 by default)", ARG_OPTIONAL, NULL},
		{"source", "address", "The source (by default this node's LAN address)",
		 ARG_OPTIONAL, NULL},
		{0},
	};

	svrsh_args(cli_register_command(
			   sh->cli, NULL, "ping", cmd_ping, PRIVILEGE_UNPRIVILEGED, MODE_ANY,
			   "Ping an address through SVR, from this node's LAN address"),
		   args);
	svrsh_args(cli_register_command(sh->cli, NULL, "traceroute", cmd_traceroute,
					PRIVILEGE_UNPRIVILEGED, MODE_ANY,
					"The hops to an address through SVR, from this node's LAN "
					"address"),
		   trace_args);
}
