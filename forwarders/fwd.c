/* What the three forwarders share: sending (each forwarder its own
 * sockets), the netfilter rules, the forwarding guard, the capture
 * filter.  See fwd.h. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fwd.h"
#include "strbuf.h"

const struct fwd_ops *fwd_find(const char *name)
{
	static const struct fwd_ops *const all[] = {&fwd_nfqueue, &fwd_pcap, &fwd_rawsock};

	for (size_t i = 0; name && i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}

void fwd_tx_open(struct fwd_tx *t)
{
	t->s4 = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	t->s6 = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
}

void fwd_tx_close(struct fwd_tx *t)
{
	if (t->s4 >= 0)
		close(t->s4);
	if (t->s6 >= 0)
		close(t->s6);
	t->s4 = t->s6 = -1;
}

/* The socket for pkt's family and where it goes (the kernel routes it by
 * the destination in its header; the address is only sendto's): -1 when
 * it is neither IPv4 nor IPv6 whole, or the socket cannot be opened. */
static int tx_socket(struct fwd_tx *t, const uint8_t *pkt, size_t len, struct sockaddr_storage *to,
		     socklen_t *tolen)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)to;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)to;

	memset(to, 0, sizeof(*to));
	if (len < 20)
		return -1;
	if (pkt[0] >> 4 == 4) {
		if (t->s4 < 0)
			t->s4 = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
		a4->sin_family = AF_INET;
		memcpy(&a4->sin_addr, pkt + 16, 4);
		*tolen = sizeof(*a4);
		return t->s4;
	}
	if (len < 40)
		return -1;
	if (t->s6 < 0)
		t->s6 = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	a6->sin6_family = AF_INET6;
	memcpy(&a6->sin6_addr, pkt + 24, 16);
	*tolen = sizeof(*a6);
	return t->s6;
}

int fwd_tx_send(struct fwd_tx *t, struct fwd_stats *st, const uint8_t *pkt, size_t len)
{
	struct sockaddr_storage to;
	socklen_t tolen = 0;
	int s = tx_socket(t, pkt, len, &to, &tolen);

	if (s < 0 || sendto(s, pkt, len, 0, (struct sockaddr *)&to, tolen) != (ssize_t)len) {
		st->tx_errors++;
		return -1;
	}
	st->tx_packets++;
	st->tx_bytes += len;
	return 0;
}

/* Run a command (no shell), quietly, with input on its standard input
 * (NULL: none); its exit status or -1. */
static int run_input(char *const argv[], const char *input)
{
	int st, in[2] = {-1, -1};
	pid_t pid;

	if (input && pipe2(in, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		if (input) {
			close(in[0]);
			close(in[1]);
		}
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(input ? in[0] : null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (input) {
		size_t len = strlen(input), off = 0;
		ssize_t w;

		close(in[0]);
		while (off < len && (w = write(in[1], input + off, len - off)) > 0)
			off += (size_t)w;
		close(in[1]);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int run(char *const argv[])
{
	return run_input(argv, NULL);
}

static bool is_v6(const char *addr)
{
	return strchr(addr, ':') != NULL;
}

#define LOCAL_CHAIN "OPENSVR-LOCAL"

static const char *tool(bool v6)
{
	return v6 ? "ip6tables" : "iptables";
}

static void remove_family(bool v6)
{
	char *del[] = {(char *)tool(v6), "-w", "-t",	  "mangle", "-D",
		       "PREROUTING",	 "-j", "OPENSVR", NULL};
	char *flush[] = {(char *)tool(v6), "-w", "-t", "mangle", "-F", "OPENSVR", NULL};
	char *drop[] = {(char *)tool(v6), "-w", "-t", "mangle", "-X", "OPENSVR", NULL};

	char *del_out[] = {(char *)tool(v6), "-w", "-t",	"mangle", "-D",
			   "OUTPUT",	     "-j", LOCAL_CHAIN, NULL};
	char *flush_out[] = {(char *)tool(v6), "-w", "-t", "mangle", "-F", LOCAL_CHAIN, NULL};
	char *drop_out[] = {(char *)tool(v6), "-w", "-t", "mangle", "-X", LOCAL_CHAIN, NULL};

	while (run(del) == 0)
		;
	run(flush);
	run(drop);
	while (run(del_out) == 0)
		;
	run(flush_out);
	run(drop_out);
}

void fwd_rules_remove(void)
{
	remove_family(false);
	remove_family(true);
}

/* The router's own packets from a LAN prefix to a service: -A
 * OPENSVR-LOCAL -s LOCAL -d PREFIX -j TARGET (mangle OUTPUT). */
static int add_local_rule(bool v6, const char *src, const char *dst, bool nfqueue,
			  const struct fwd_config *c)
{
	char queue[8];
	char *argv[] = {(char *)tool(v6),
			"-w",
			"-t",
			"mangle",
			"-A",
			LOCAL_CHAIN,
			"-s",
			(char *)src,
			"-d",
			(char *)dst,
			"-j",
			nfqueue ? "NFQUEUE" : "DROP",
			nfqueue ? "--queue-num" : NULL,
			queue,
			NULL};

	snprintf(queue, sizeof(queue), "%u", c->queue);
	return run(argv) == 0 ? 0 : -1;
}

static int add_local_rules(bool v6, bool nfqueue, const struct fwd_config *c)
{
	char *mk[] = {(char *)tool(v6), "-w", "-t", "mangle", "-N", LOCAL_CHAIN, NULL};
	char *jump[] = {(char *)tool(v6), "-w", "-t",	     "mangle", "-I",
			"OUTPUT",	  "-j", LOCAL_CHAIN, NULL};

	if (run(mk) != 0 || run(jump) != 0)
		return -1;
	for (int l = 0; l < c->nlocals; l++)
		for (int p = 0; p < c->nprefixes; p++)
			if (is_v6(c->locals[l]) == v6 && is_v6(c->prefixes[p]) == v6 &&
			    add_local_rule(v6, c->locals[l], c->prefixes[p], nfqueue, c) < 0)
				return -1;
	return 0;
}

/* One rule: -A OPENSVR -i IF [-p udp] -d ADDR [--dport ...] -j TARGET */
static int add_rule(bool v6, const char *ifname, const char *dst, bool waypoint, bool nfqueue,
		    const struct fwd_config *c)
{
	char queue[8], *argv[24];
	int n = 0;

	snprintf(queue, sizeof(queue), "%u", c->queue);
	argv[n++] = (char *)tool(v6);
	argv[n++] = "-w";
	argv[n++] = "-t";
	argv[n++] = "mangle";
	argv[n++] = "-A";
	argv[n++] = "OPENSVR";
	argv[n++] = "-i";
	argv[n++] = (char *)ifname;
	if (waypoint) {
		argv[n++] = "-p";
		argv[n++] = "udp";
	}
	argv[n++] = "-d";
	argv[n++] = (char *)dst;
	if (waypoint) {
		argv[n++] = "--dport";
		argv[n++] = "16384:65534";
	}
	argv[n++] = "-j";
	if (nfqueue) {
		argv[n++] = "NFQUEUE";
		argv[n++] = "--queue-num";
		argv[n++] = queue; /* never --queue-bypass: fail closed */
	} else {
		argv[n++] = "DROP";
	}
	argv[n] = NULL;
	return run(argv) == 0 ? 0 : -1;
}

int fwd_rules_install(const struct fwd_config *c, bool nfqueue, char *err, size_t errlen)
{
	fwd_rules_remove();
	for (int v6 = 0; v6 <= 1; v6++) {
		char *mk[] = {(char *)tool(v6), "-w", "-t", "mangle", "-N", "OPENSVR", NULL};
		char *jump[] = {(char *)tool(v6), "-w", "-t",	   "mangle", "-I",
				"PREROUTING",	  "-j", "OPENSVR", NULL};

		if (run(mk) != 0 || run(jump) != 0) {
			snprintf(err, errlen, "%s: cannot make the OPENSVR chain in mangle",
				 tool(v6));
			fwd_rules_remove();
			return -1;
		}
		for (int i = 0; i < c->nlan; i++)
			for (int p = 0; p < c->nprefixes; p++)
				if (is_v6(c->prefixes[p]) == (bool)v6 &&
				    add_rule(v6, c->lan[i], c->prefixes[p], false, nfqueue, c) < 0)
					goto fail;
		for (int i = 0; i < c->nwan; i++)
			for (int w = 0; w < c->nwaypoints; w++)
				if (is_v6(c->waypoints[w]) == (bool)v6 &&
				    add_rule(v6, c->wan[i], c->waypoints[w], true, nfqueue, c) < 0)
					goto fail;
		if (add_local_rules(v6, nfqueue, c) < 0)
			goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot add a rule to the OPENSVR chain");
	fwd_rules_remove();
	return -1;
}

/* ---- the forwarding guard ------------------------------------------------ */

#define GUARD	  "OPENSVR-GUARD"
#define GUARD_OUT "OPENSVR-GUARD-OUT"

/* 1: one of the guard's chains is there, 0: neither, -1: iptables cannot
 * tell (not root, no CAP_NET_ADMIN, no iptables). */
static int guard_state_family(bool v6)
{
	char *list[] = {(char *)tool(v6), "-w", "-t", "mangle", "-n", "-L", GUARD, NULL};
	char *list_out[] = {(char *)tool(v6), "-w", "-t", "mangle", "-n", "-L", GUARD_OUT, NULL};
	char *base[] = {(char *)tool(v6), "-w", "-t", "mangle", "-n", "-L", "PREROUTING", NULL};

	if (run(list) == 0 || run(list_out) == 0)
		return 1;
	return run(base) == 0 ? 0 : -1;
}

bool fwd_guard_present(void)
{
	return guard_state_family(false) > 0 || guard_state_family(true) > 0;
}

/* A word iptables-restore reads as one argument: an interface name or a
 * prefix (the model allows no other characters in either; checked again
 * here because a space or a newline would be another rule). */
static bool restore_word(const char *w)
{
	if (!*w)
		return false;
	for (; *w; w++)
		if (!isalnum((unsigned char)*w) && !strchr("_.:/-", *w))
			return false;
	return true;
}

/* -A CHAIN {-i|-s} FROM -d PREFIX -j DROP for every pair of one family;
 * false when a name is not one word. */
static bool guard_rules(struct strbuf *out, const char *chain, const char *opt, const char *from,
			size_t width, int nfrom, const struct fwd_config *c, bool v6)
{
	for (int i = 0; i < nfrom; i++) {
		const char *f = from + (size_t)i * width;

		for (int p = 0; p < c->nprefixes; p++) {
			if (!restore_word(f) || !restore_word(c->prefixes[p]))
				return false;
			/* a source address of the other family never matches */
			if (is_v6(c->prefixes[p]) == v6 && (*opt == 'i' || is_v6(f) == v6))
				strbuf_addf(out, "-A %s -%s %s -d %s -j DROP\n", chain, opt, f,
					    c->prefixes[p]);
		}
	}
	return true;
}

/* The chains of one family as iptables-restore input: declaring them
 * flushes them, and the whole table is committed at once, so the old
 * rules give way to the new ones with no moment of neither.  GUARD takes
 * what LAN interfaces send (PREROUTING); GUARD_OUT the router's own
 * packets from its LAN prefixes (OUTPUT: svrsh's ping and traceroute). */
static char *guard_ruleset(const struct fwd_config *c, bool v6)
{
	struct strbuf out = STRBUF_INIT;

	strbuf_addf(&out, "*mangle\n:" GUARD " - [0:0]\n:" GUARD_OUT " - [0:0]\n");
	if (!guard_rules(&out, GUARD, "i", c->lan[0], sizeof(c->lan[0]), c->nlan, c, v6) ||
	    !guard_rules(&out, GUARD_OUT, "s", c->locals[0], sizeof(c->locals[0]), c->nlocals, c,
			 v6)) {
		strbuf_free(&out);
		return NULL;
	}
	strbuf_addf(&out, "COMMIT\n");
	return strbuf_steal(&out);
}

/* Jump to chain from the end of base (OPENSVR and OPENSVR-LOCAL, inserted
 * at the head, stay ahead of it), unless it already does. */
static int guard_jump(bool v6, const char *base, const char *chain)
{
	char *check[] = {(char *)tool(v6), "-w", "-t",		"mangle", "-C",
			 (char *)base,	   "-j", (char *)chain, NULL};
	char *jump[] = {(char *)tool(v6), "-w", "-t",	       "mangle", "-A",
			(char *)base,	  "-j", (char *)chain, NULL};

	return run(check) == 0 || run(jump) == 0 ? 0 : -1;
}

int fwd_guard_install(const struct fwd_config *c, char *err, size_t errlen)
{
	for (int v6 = 0; v6 <= 1; v6++) {
		char *restore[] = {v6 ? "ip6tables-restore" : "iptables-restore", "-w", "--noflush",
				   NULL};
		char *rules = guard_ruleset(c, v6);
		int rc = rules ? run_input(restore, rules) : -1;
		bool named = rules != NULL;

		free(rules);
		if (rc != 0) {
			snprintf(err, errlen, "%s: cannot install the " GUARD " chains in mangle%s",
				 restore[0], named ? "" : " (a name it cannot take)");
			return -1;
		}
		if (guard_jump(v6, "PREROUTING", GUARD) < 0 ||
		    guard_jump(v6, "OUTPUT", GUARD_OUT) < 0) {
			snprintf(err, errlen, "%s: cannot jump to the " GUARD " chains", tool(v6));
			return -1;
		}
	}
	return 0;
}

/* Remove one chain and every jump to it from base; a chain that is not
 * there is no error. */
static void guard_chain_remove(bool v6, const char *base, const char *chain)
{
	char *del[] = {(char *)tool(v6), "-w", "-t",	      "mangle", "-D",
		       (char *)base,	 "-j", (char *)chain, NULL};
	char *flush[] = {(char *)tool(v6), "-w", "-t", "mangle", "-F", (char *)chain, NULL};
	char *drop[] = {(char *)tool(v6), "-w", "-t", "mangle", "-X", (char *)chain, NULL};

	while (run(del) == 0)
		;
	run(flush);
	run(drop);
}

int fwd_guard_remove(void)
{
	int found = 0;

	for (int v6 = 0; v6 <= 1; v6++) {
		int st = guard_state_family(v6);

		if (st < 0)
			return -1;
		if (st == 0)
			continue;
		found++;
		guard_chain_remove(v6, "PREROUTING", GUARD);
		guard_chain_remove(v6, "OUTPUT", GUARD_OUT);
		if (guard_state_family(v6) != 0)
			return -1;
	}
	return found;
}

int fwd_filter(const struct fwd_config *c, enum fwd_side side, char *out, size_t cap)
{
	size_t n = 0;

	out[0] = '\0';
	if (side == FWD_LAN) {
		for (int p = 0; p < c->nprefixes; p++)
			n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%sdst net %s",
					      p ? " or " : "", c->prefixes[p]);
	} else {
		n += (size_t)snprintf(out, cap, "udp and dst portrange 16384-65534 and (");
		for (int w = 0; w < c->nwaypoints; w++)
			n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%sdst host %s",
					      w ? " or " : "", c->waypoints[w]);
		n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, ")");
	}
	if (n >= cap)
		return -1;
	if (!out[0] || (side == FWD_WAN && !c->nwaypoints))
		snprintf(out, cap, "less 0"); /* matches nothing */
	return 0;
}
