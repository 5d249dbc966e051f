/* DOC: monitor
 *
 * "monitor" fills the terminal with this node's live state and draws it
 * again every second from one get-state: the key manager and its rekey
 * indexes, the forwarding counters as rates, one row per peer (its
 * association's state, the key exchange's status, both key indexes, when
 * the peer key is renewed, its paths' datagrams and drops per second, the
 * certificate's verdict on a wide terminal) and the active alarms.
 * Rates are differences between two samples, so the first second shows
 * none.  ncurses draws it (over SSH too) and follows resizes; q or Ctrl-C
 * leaves, Ctrl-L draws everything again.  Every name and message goes
 * through svrsh_clean: peers and alarms quote other routers.
 */
#include "config.h"

#include <curses.h>
#include <libcli.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "svrsh.h"

#define MON_PEERS 1024
/* A peer row's columns after the name: state, security, the two key
 * indexes, rekey in, the two rates, with a blank before each. */
#define ROW_FIXED 63
#define CERT_COLS 13 /* " CERTIFICATE" on terminals of 100 columns or more */

struct sample {
	char name[64];
	uint64_t pkts, drops;
};

struct mon {
	struct svrsh *sh;
	struct json *reply;		  /* the last get-state */
	const struct json *router, *node; /* in it */
	struct sample prev[MON_PEERS], cur[MON_PEERS];
	int nprev, ncur;
	uint64_t prev_in, prev_out, prev_drop, prev_created;
	uint64_t in, out, drop, created;
	int64_t prev_ms, now_ms;
	bool rates; /* two samples: rates can be shown */
	char err[256];
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t rate(uint64_t now, uint64_t before, int64_t ms)
{
	return now >= before && ms > 0 ? (now - before) * 1000 / (uint64_t)ms : 0;
}

/* A peer's datagrams and drops, summed over its paths. */
static void peer_sums(const struct json *paths, const char *peer, struct sample *s)
{
	snprintf(s->name, sizeof(s->name), "%s", peer);
	s->pkts = s->drops = 0;
	for (size_t i = 0; i < json_len(paths); i++) {
		const struct json *p = json_at(paths, i);

		if (strcmp(json_get_str(p, "peer", ""), peer) != 0)
			continue;
		s->pkts +=
			state_u64(p, "datagrams-received", 0) + state_u64(p, "datagrams-sent", 0);
		s->drops += state_u64(p, "unauthenticated-datagrams", 0) +
			    state_u64(p, "replayed-datagrams", 0);
	}
}

static uint64_t drops_of(const struct json *fw)
{
	const struct json *d = json_get(fw, "drop");
	uint64_t n = state_u64(fw, "kernel-drops", 0);

	for (size_t i = 0; i < json_len(d); i++)
		n += state_u64(json_at(d, i), "packets", 0);
	return n;
}

static void sample(struct mon *m)
{
	struct json *r = svrsh_call_quiet(m->sh, "get-state", NULL);
	const struct json *top, *sas, *fw;

	if (!r) {
		snprintf(m->err, sizeof(m->err), "svrd does not answer; trying again");
		return;
	}
	m->err[0] = '\0';
	json_free(m->reply);
	m->reply = r;
	top = json_get(json_get(r, "state"), "opensvr:authority-state");
	m->router = json_at(json_get(top, "router"), 0);
	m->node = json_at(json_get(m->router, "node"), 0);
	memcpy(m->prev, m->cur, sizeof(m->cur[0]) * (size_t)m->ncur);
	m->nprev = m->ncur;
	m->prev_in = m->in, m->prev_out = m->out, m->prev_drop = m->drop;
	m->prev_created = m->created;
	m->rates = m->now_ms != 0; /* a sample before this one */
	m->prev_ms = m->now_ms;
	m->now_ms = mono_ms();
	sas = json_get(m->router, "security-association");
	m->ncur = 0;
	for (size_t i = 0; i < json_len(sas) && m->ncur < MON_PEERS; i++)
		peer_sums(json_get(m->router, "peer-path"),
			  json_get_str(json_at(sas, i), "peer-name", ""), &m->cur[m->ncur++]);
	fw = json_get(m->node, "forwarding");
	m->in = state_u64(fw, "lan-in-packets", 0) + state_u64(fw, "wan-in-packets", 0);
	m->out = state_u64(fw, "lan-out-packets", 0) + state_u64(fw, "wan-out-packets", 0);
	m->drop = drops_of(fw);
	m->created = state_u64(fw, "sessions-created", 0);
}

static const struct sample *before(const struct mon *m, const char *peer)
{
	for (int i = 0; i < m->nprev; i++)
		if (strcmp(m->prev[i].name, peer) == 0)
			return &m->prev[i];
	return NULL;
}

/* "23h59m", "4m05s", "12s" */
static void short_time(int64_t s, char *buf, size_t len)
{
	if (s < 0)
		snprintf(buf, len, "-");
	else if (s >= 3600)
		snprintf(buf, len, "%lldh%02lldm", (long long)(s / 3600), (long long)(s / 60 % 60));
	else if (s >= 60)
		snprintf(buf, len, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(buf, len, "%llds", (long long)s);
}

/* Text at row y, column x, cut at the right edge, made safe. */
static void put(int y, int x, const char *s)
{
	char *c = svrsh_clean(s);

	if (y < LINES && x < COLS)
		mvaddnstr(y, x, c ? c : "", COLS - x);
	free(c);
}

static void putf(int y, int x, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void putf(int y, int x, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	put(y, x, buf);
}

static void draw_title(const struct mon *m)
{
	char when[64];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	attron(A_REVERSE);
	mvhline(0, 0, ' ', COLS);
	putf(0, 0, " opensvr monitor  %s.%s", json_get_str(m->node, "name", "?"),
	     json_get_str(m->router, "name", "?"));
	if (COLS > (int)strlen(when) + 40)
		put(0, COLS - (int)strlen(when) - 1, when);
	attroff(A_REVERSE);
}

static void draw_node(const struct mon *m)
{
	const struct json *ks = json_get(m->node, "key-status"),
			  *fw = json_get(m->node, "forwarding");
	char pk[32], mk[32];
	int64_t ms = m->now_ms - m->prev_ms;

	short_time(json_get_int(ks, "next-rekey", -1), pk, sizeof(pk));
	short_time(json_get_int(ks, "metadata-next-rekey", -1), mk, sizeof(mk));
	putf(1, 0, "Keys: %s  peer key (%lld) next %s  metadata key (%lld) next %s",
	     json_get_str(ks, "key-manager-state", "-"),
	     (long long)json_get_int(ks, "rekey-index", 0), pk,
	     (long long)json_get_int(ks, "metadata-rekey-index", 0), mk);
	if (!m->rates) {
		putf(2, 0, "Forwarding: %s  sessions %lld  (rates from the next second)",
		     json_get_str(fw, "forwarder", "-"),
		     (long long)json_get_int(fw, "sessions", 0));
		return;
	}
	putf(2, 0,
	     "Forwarding: %s  sessions %lld (+%llu/s)  in %llu pkt/s  out %llu pkt/s  drops %llu/s",
	     json_get_str(fw, "forwarder", "-"), (long long)json_get_int(fw, "sessions", 0),
	     (unsigned long long)rate(m->created, m->prev_created, ms),
	     (unsigned long long)rate(m->in, m->prev_in, ms),
	     (unsigned long long)rate(m->out, m->prev_out, ms),
	     (unsigned long long)rate(m->drop, m->prev_drop, ms));
}

/* The key exchange's status on the peer's paths: the first that is not
 * complete, so that one bad path shows. */
static const struct json *worst_path(const struct json *paths, const char *peer)
{
	const struct json *first = NULL;

	for (size_t i = 0; i < json_len(paths); i++) {
		const struct json *p = json_at(paths, i);

		if (strcmp(json_get_str(p, "peer", ""), peer) != 0)
			continue;
		if (!first)
			first = p;
		if (strcmp(json_get_str(p, "security-status", ""), "MKEY_EXCH_COMP") != 0)
			return p;
	}
	return first;
}

static void peer_row(const struct mon *m, int y, int namew, const struct json *sa, int i)
{
	const char *name = json_get_str(sa, "peer-name", "");
	const struct json *p = worst_path(json_get(m->router, "peer-path"), name);
	const struct sample *b = before(m, name);
	int64_t ms = m->now_ms - m->prev_ms;
	char next[32], pkts[24] = "-", drops[24] = "-";

	short_time(json_get_int(sa, "peer-key-rekey-in", -1), next, sizeof(next));
	if (m->rates && b) {
		snprintf(pkts, sizeof(pkts), "%llu",
			 (unsigned long long)rate(m->cur[i].pkts, b->pkts, ms));
		snprintf(drops, sizeof(drops), "%llu",
			 (unsigned long long)rate(m->cur[i].drops, b->drops, ms));
	}
	putf(y, 0, "%-*.*s %-6.6s %-15.15s %4lld %8lld %9s %7s %7s", namew, namew, name,
	     json_get_str(sa, "state", "-"),
	     p ? json_get_str(p, "security-status", "-") : "NO PATH",
	     (long long)json_get_int(p, "key-index", 0),
	     (long long)json_get_int(p, "peer-key-index", 0), next, pkts, drops);
	if (COLS >= 100 && json_get(sa, "refused-certificate"))
		putf(y, namew + ROW_FIXED, " refused: %s",
		     json_get_str(sa, "refused-certificate", ""));
	else if (COLS >= 100)
		putf(y, namew + ROW_FIXED, " %s", json_get_str(sa, "peer-certificate", "-"));
}

/* Rows from y up to (not including) end; the rows it used. */
static int draw_peers(const struct mon *m, int y, int end)
{
	const struct json *sas = json_get(m->router, "security-association");
	int namew = COLS - 1 - ROW_FIXED - (COLS >= 100 ? CERT_COLS : 0);
	int n = (int)json_len(sas), rows = 0;

	if (namew < 8)
		namew = 8;
	if (namew > 40)
		namew = 40;
	attron(A_BOLD);
	putf(y, 0, "%-*s %-6s %-15s %4s %8s %9s %7s %7s", namew, "PEER", "STATE", "SECURITY", "KEY",
	     "PEER-KEY", "REKEY IN", "PKT/S", "DROP/S");
	if (COLS >= 100)
		put(y, namew + ROW_FIXED, " CERTIFICATE");
	attroff(A_BOLD);
	for (int i = 0; i < n && y + 1 + rows < end; i++, rows++) {
		if (i + 1 < n && y + 2 + rows == end) {
			putf(y + 1 + rows, 0, "... and %d more peers", n - i);
			rows++;
			break;
		}
		peer_row(m, y + 1 + rows, namew, json_at(sas, (size_t)i), i);
	}
	if (!n)
		put(y + 1, 0, "No peers.");
	return 1 + (n ? rows : 1);
}

static void draw_alarms(const struct mon *m, int y, int end)
{
	const struct json *al = json_get(m->router, "alarm");
	int n = (int)json_len(al);

	attron(A_BOLD);
	putf(y, 0, "ALARMS (%d)", n);
	attroff(A_BOLD);
	for (int i = 0; i < n && y + 1 + i < end; i++) {
		const struct json *a = json_at(al, (size_t)i);

		if (i + 1 < n && y + 2 + i == end) {
			putf(y + 1 + i, 0, "... and %d more (show alarms)", n - i);
			break;
		}
		putf(y + 1 + i, 0, "%-16s %-8.8s %s", json_get_str(a, "id", ""),
		     json_get_str(a, "severity", ""), json_get_str(a, "message", ""));
	}
}

static void draw(const struct mon *m)
{
	int alarms = (int)json_len(json_get(m->router, "alarm"));
	int arows = alarms > 5 ? 6 : alarms + 1, pend = LINES - 2 - arows - 1;

	erase();
	draw_title(m);
	if (m->reply) {
		draw_node(m);
		draw_peers(m, 4, pend > 6 ? pend : 6);
		draw_alarms(m, LINES - 1 - arows, LINES - 1);
	}
	attron(A_REVERSE);
	mvhline(LINES - 1, 0, ' ', COLS);
	put(LINES - 1, 0, m->err[0] ? m->err : " q: quit   Ctrl-L: redraw   every second");
	attroff(A_REVERSE);
	refresh();
}

/* The loop: a sample a second, keys in between. */
static void run(struct mon *m)
{
	int64_t next = 0;

	for (;;) {
		int k;

		if (mono_ms() >= next) {
			sample(m);
			draw(m);
			next = mono_ms() + 1000;
		}
		timeout(100);
		k = getch();
		if (k == 'q' || k == 'Q' || k == 3)
			break;
		if (k == KEY_RESIZE)
			draw(m);
		else if (k == 12) {
			clearok(curscr, TRUE);
			draw(m);
		}
	}
}

static int cmd_monitor(struct cli_def *cli, const char *command, char **argv, int argc)
{
	struct svrsh *sh = svrsh_of(cli);
	struct mon *m;
	SCREEN *scr;

	if (argc) {
		cli_error(cli, "%% Error: %s takes no argument, not '%s'", command, argv[0]);
		return CLI_ERROR;
	}
	if (sh->batch || !isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		cli_error(cli, "%% Error: monitor needs a terminal (for a script: show state)");
		return CLI_ERROR;
	}
	if (!(scr = newterm(NULL, stdout, stdin))) {
		cli_error(cli, "%% Error: monitor: this terminal (TERM=%s) cannot be drawn on",
			  getenv("TERM") ? getenv("TERM") : "");
		return CLI_ERROR;
	}
	if (!(m = calloc(1, sizeof(*m)))) {
		endwin();
		delscreen(scr);
		return CLI_ERROR;
	}
	m->sh = sh;
	raw();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	run(m);
	/* a terminal without an alternate screen keeps what was drawn */
	erase();
	refresh();
	endwin();
	delscreen(scr);
	json_free(m->reply);
	free(m);
	return CLI_OK;
}

void monitor_commands_register(struct svrsh *sh)
{
	cli_register_command(sh->cli, NULL, "monitor", cmd_monitor, PRIVILEGE_UNPRIVILEGED,
			     MODE_EXEC,
			     "A live view of this node: peers, keys, rates, alarms (q: quit)");
}
