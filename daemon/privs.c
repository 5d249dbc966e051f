/* svrd's privileges after setup; see svrd.h (privs_drop).
 *
 * svrd starts as root to bind its sockets, open its state directory, lock
 * its PID file and install its first netfilter rules.  What it does after
 * that needs only two capabilities: CAP_NET_ADMIN (netfilter queues and
 * rules, SO_RCVBUFFORCE) and CAP_NET_RAW (raw IP and packet sockets, pcap).
 * BFD listens on UDP 1280 and the management socket is a UNIX socket, so
 * CAP_NET_BIND_SERVICE is not needed.  Every other capability leaves the
 * effective, permitted, inheritable and bounding sets; the two stay, and
 * are raised as ambient capabilities so the iptables and ip6tables that
 * the forwarders run get them too.  SECBIT_NOROOT (locked) stops uid 0
 * from regaining all capabilities through execve: a program svrd runs gets
 * the ambient set and nothing else.  no_new_privs stops setuid programs
 * and file capabilities from adding any (ambient capabilities are not
 * affected), and the process is not dumpable: keys never end in a core
 * file and other processes of uid 0 without CAP_SYS_PTRACE cannot read
 * svrd's memory.
 *
 * svrd keeps uid 0: the state directory, the PID file, the management
 * socket and the certificates are root's, and the legacy iptables backend
 * locks /run/xtables.lock.  The limit is written in doc/security.md: a
 * process of uid 0 still owns root's files.
 *
 * Without CAP_SETPCAP (svrd started by a user, or with file capabilities)
 * the bounding set and the securebits stay as they are; the other sets are
 * reduced all the same. */
#include "config.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "svrd.h"

#define BIT(c)	   ((uint64_t)1 << (c))
#define PRIVS_KEEP (BIT(CAP_NET_ADMIN) | BIT(CAP_NET_RAW))

struct capsets {
	uint64_t eff, prm, inh;
};

static int caps_get(struct capsets *s)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct c[2];

	memset(c, 0, sizeof(c));
	if (syscall(SYS_capget, &h, c) < 0)
		return -1;
	s->eff = c[0].effective | (uint64_t)c[1].effective << 32;
	s->prm = c[0].permitted | (uint64_t)c[1].permitted << 32;
	s->inh = c[0].inheritable | (uint64_t)c[1].inheritable << 32;
	return 0;
}

static int caps_set(const struct capsets *s)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct c[2] = {
		{(uint32_t)s->eff, (uint32_t)s->prm, (uint32_t)s->inh},
		{(uint32_t)(s->eff >> 32), (uint32_t)(s->prm >> 32), (uint32_t)(s->inh >> 32)},
	};

	return (int)syscall(SYS_capset, &h, c);
}

/* Every capability the kernel knows but keep leaves the bounding set. */
static int bounding_drop(uint64_t keep)
{
	for (int cap = 0; cap < 64; cap++) {
		int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (r < 0 && errno == EINVAL)
			return 0; /* past the kernel's last capability */
		if (r > 0 && !(keep & BIT(cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return -1;
	}
	return 0;
}

static uint64_t bounding_read(void)
{
	uint64_t set = 0;

	for (int cap = 0; cap < 64; cap++) {
		int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (r < 0)
			break;
		if (r > 0)
			set |= BIT(cap);
	}
	return set;
}

static int ambient_raise(uint64_t keep)
{
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return -1;
	for (int cap = 0; cap < 64; cap++)
		if ((keep & BIT(cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			return -1;
	return 0;
}

#if defined(__SANITIZE_ADDRESS__)
/* LeakSanitizer's check at exit attaches to the process with ptrace, which
 * a process that is not dumpable refuses: sanitizer builds only. */
static void dumpable_for_lsan(void)
{
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}
#endif

int privs_drop(char *err, size_t errlen)
{
	struct capsets s, now;
	uint64_t keep;
	bool setpcap;
	const char *step;

	step = "capget";
	if (caps_get(&s) < 0)
		goto fail;
	keep = s.prm & PRIVS_KEEP;
	setpcap = (s.eff & BIT(CAP_SETPCAP)) != 0;
	if (setpcap) {
		int bits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);

		step = "dropping the bounding set";
		if (bounding_drop(keep) < 0)
			goto fail;
		step = "setting SECBIT_NOROOT";
		if (bits < 0 ||
		    prctl(PR_SET_SECUREBITS,
			  (unsigned long)bits | SECBIT_NOROOT | SECBIT_NOROOT_LOCKED, 0, 0, 0) < 0)
			goto fail;
	}
	step = "capset";
	s.eff = s.prm = s.inh = keep;
	if (caps_set(&s) < 0)
		goto fail;
	step = "raising the ambient capabilities";
	if (ambient_raise(keep) < 0)
		goto fail;
	step = "PR_SET_NO_NEW_PRIVS";
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		goto fail;
	step = "PR_SET_DUMPABLE";
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		goto fail;
#if defined(__SANITIZE_ADDRESS__)
	atexit(dumpable_for_lsan);
#endif
	/* Trust what the kernel says, not what was asked. */
	if (caps_get(&now) < 0 || now.eff != keep || now.prm != keep || now.inh != keep ||
	    (setpcap && (bounding_read() & ~keep))) {
		snprintf(err, errlen, "capabilities still held after dropping them");
		return -1;
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot drop privileges (%s): %s", step, strerror(errno));
	return -1;
}
