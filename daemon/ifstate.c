/* The kernel's view of an interface the data plane uses, for the
 * operational state (interface list of a node): its link state, MTU and
 * addresses.  Read when asked (get-state), never cached. */
#include "config.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <libyang/libyang.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "ifstate.h"
#include "state.h"

/* One line of /sys/class/net/NAME/WHAT, without its newline; "" if none. */
static void sys_net(const char *name, const char *what, char *out, size_t len)
{
	char path[128];
	FILE *f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", name, what);
	if (!(f = fopen(path, "r")))
		return;
	if (fgets(out, (int)len, f))
		out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

static int prefix_len(const struct sockaddr *mask)
{
	const uint8_t *b =
		mask->sa_family == AF_INET
			? (const uint8_t *)&((const struct sockaddr_in *)mask)->sin_addr
			: (const uint8_t *)&((const struct sockaddr_in6 *)mask)->sin6_addr;
	int n = mask->sa_family == AF_INET ? 4 : 16, bits = 0;

	for (int i = 0; i < n; i++)
		bits += __builtin_popcount(b[i]);
	return bits;
}

static int addresses(struct lyd_node *o, const char *name, const struct ifaddrs *all)
{
	int rc = 0;

	for (const struct ifaddrs *a = all; a; a = a->ifa_next) {
		char text[INET6_ADDRSTRLEN];
		const void *in;

		if (!a->ifa_addr || !a->ifa_netmask || strcmp(a->ifa_name, name) != 0 ||
		    (a->ifa_addr->sa_family != AF_INET && a->ifa_addr->sa_family != AF_INET6))
			continue;
		in = a->ifa_addr->sa_family == AF_INET
			     ? (const void *)&((struct sockaddr_in *)a->ifa_addr)->sin_addr
			     : (const void *)&((struct sockaddr_in6 *)a->ifa_addr)->sin6_addr;
		if (inet_ntop(a->ifa_addr->sa_family, in, text, sizeof(text)))
			rc |= st_leaf(o, "address", "%s/%d", text, prefix_len(a->ifa_netmask));
	}
	return rc;
}

static int one(struct lyd_node *node, const char *name, const char *role, const struct ifaddrs *all)
{
	struct lyd_node *o = NULL;
	char oper[32], mtu[32];
	int rc = 0;

	if (lyd_new_list(node, NULL, "interface", 0, &o, name) != LY_SUCCESS)
		return -1;
	rc |= st_leaf(o, "role", "%s", role);
	/* the name comes from the configuration: only one the kernel knows as
	 * an interface goes into a /sys path, so "../x" reads nothing */
	if (!if_nametoindex(name))
		return rc | st_leaf(o, "oper-status", "missing");
	sys_net(name, "operstate", oper, sizeof(oper));
	rc |= st_leaf(o, "oper-status", "%s",
		      strcmp(oper, "up") == 0 || strcmp(oper, "down") == 0 ? oper : "unknown");
	sys_net(name, "mtu", mtu, sizeof(mtu));
	if (mtu[0] && strspn(mtu, "0123456789") == strlen(mtu))
		rc |= st_leaf(o, "mtu", "%s", mtu);
	return rc | addresses(o, name, all);
}

int ifstate_fill(struct lyd_node *node, const char (*lan)[16], int nlan, const char (*wan)[16],
		 int nwan)
{
	struct ifaddrs *all = NULL;
	int rc = 0;

	/* the kernel's addresses once for every interface (none to say when it
	 * cannot list them: not an error of the state) */
	if (getifaddrs(&all) < 0)
		all = NULL;
	for (int i = 0; i < nlan; i++)
		rc |= one(node, lan[i], "lan", all);
	for (int i = 0; i < nwan; i++)
		rc |= one(node, wan[i], "wan", all);
	if (all)
		freeifaddrs(all);
	return rc;
}
