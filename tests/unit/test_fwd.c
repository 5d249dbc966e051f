/* What the three forwarders share and what the daemon may count on of
 * them: every op there, sending that counts what it could not send, the
 * capture filter.  Opening one needs root, interfaces and netfilter
 * rules: the e2e tests (dataplane.sh, dataplane-failclosed.sh) do that
 * in their own namespaces. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "fwd.h"

Test(fwd, every_forwarder_has_every_op)
{
	static const char *const names[] = {"nfqueue", "pcap", "raw-socket"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct fwd_ops *o = fwd_find(names[i]);

		cr_assert(o, "%s", names[i]);
		cr_assert_str_eq(o->name, names[i]);
		cr_assert(o->open && o->fds && o->rx_burst && o->done && o->send && o->stats &&
				  o->close,
			  "%s", names[i]);
	}
	cr_assert_null(fwd_find("dpdk"));
	cr_assert_null(fwd_find(NULL));
}

Test(fwd, a_packet_that_cannot_be_sent_is_counted)
{
	struct fwd_tx t = {-1, -1};
	struct fwd_stats st;
	uint8_t short4[19] = {0x45}, short6[39] = {0x60};

	memset(&st, 0, sizeof(st));
	cr_assert_eq(fwd_tx_send(&t, &st, short4, sizeof(short4)), -1);
	cr_assert_eq(fwd_tx_send(&t, &st, short6, sizeof(short6)), -1);
	cr_assert_eq(st.tx_errors, 2);
	cr_assert_eq(st.tx_packets, 0);
	cr_assert_eq(st.tx_bytes, 0);
	fwd_tx_close(&t);
	cr_assert_eq(t.s4, -1);
	cr_assert_eq(t.s6, -1);
}

Test(fwd, the_capture_filter_of_each_side)
{
	struct fwd_config c;
	char out[512];

	memset(&c, 0, sizeof(c));
	cr_assert_eq(fwd_filter(&c, FWD_LAN, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "less 0"); /* nothing to take: matches nothing */
	cr_assert_eq(fwd_filter(&c, FWD_WAN, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "less 0");
	snprintf(c.prefixes[c.nprefixes++], 64, "203.0.113.0/24");
	snprintf(c.prefixes[c.nprefixes++], 64, "2001:db8:b::/64");
	snprintf(c.waypoints[c.nwaypoints++], 64, "198.51.100.1");
	cr_assert_eq(fwd_filter(&c, FWD_LAN, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "dst net 203.0.113.0/24 or dst net 2001:db8:b::/64");
	cr_assert_eq(fwd_filter(&c, FWD_WAN, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "udp and dst portrange 16384-65534 and (dst host 198.51.100.1)");
	cr_assert_eq(fwd_filter(&c, FWD_LAN, out, 20), -1); /* too long: refused, not cut */
}
