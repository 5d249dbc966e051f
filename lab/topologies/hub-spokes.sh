# topology: one hub, two spokes, a host behind each; spokes reach each other only through the hub
#
#            hostH .2 --lan0 192.0.2.0/24-- .1 hub
#   hub .1   --wan1 198.51.100.0/25--   .2 spoke1 .1 --lan0 203.0.113.0/25-- .2 host1
#   hub .129 --wan2 198.51.100.128/25-- .130 spoke2 .129 --lan0 203.0.113.128/25-- .130 host2
#   IPv6: hub LAN 2001:db8:a::/64, spoke1 LAN 2001:db8:1::/64, spoke2 LAN 2001:db8:2::/64,
#         WANs 2001:db8:f1::/64 and 2001:db8:f2::/64
# hub_spokes_build: the topology; HUB_LAN_LEN (24) is the length of the
# hub's LAN prefix, 192.0.2.0/LEN (the conductor lab takes the upper half).
hub_spokes_build() {
	local len=${HUB_LAN_LEN:-24}
	router hub
	router spoke1
	router spoke2
	host hostH
	host host1
	host host2
	link hostH eth0 192.0.2.2/$len,2001:db8:a::2/64 hub lan0 192.0.2.1/$len,2001:db8:a::1/64
	link hub wan1 198.51.100.1/25,2001:db8:f1::1/64 spoke1 wan0 198.51.100.2/25,2001:db8:f1::2/64
	link hub wan2 198.51.100.129/25,2001:db8:f2::1/64 spoke2 wan0 198.51.100.130/25,2001:db8:f2::2/64
	link spoke1 lan0 203.0.113.1/25,2001:db8:1::1/64 host1 eth0 203.0.113.2/25,2001:db8:1::2/64
	link spoke2 lan0 203.0.113.129/25,2001:db8:2::1/64 host2 eth0 203.0.113.130/25,2001:db8:2::2/64
	for p in 192.0.2.0/24 198.51.100.0/24 203.0.113.0/24; do
		case $p in
		192.0.2.0/24) [ "$len" = 24 ] || route hostH 192.0.2.128/25 192.0.2.1 ;;
		*) route hostH "$p" 192.0.2.1 ;;
		esac
		route host1 "$p" 203.0.113.1
		route host2 "$p" 203.0.113.129
	done
	route hostH 2001:db8::/32 2001:db8:a::1
	route host1 2001:db8::/32 2001:db8:1::1
	route host2 2001:db8::/32 2001:db8:2::1
	# Spokes send everything of the lab to the hub; the hub knows each spoke's LAN.
	for p in 192.0.2.0/24 203.0.113.0/24; do
		route spoke1 "$p" 198.51.100.1
		route spoke2 "$p" 198.51.100.129
	done
	route spoke1 198.51.100.128/25 198.51.100.1
	route spoke2 198.51.100.0/25 198.51.100.129
	route spoke1 2001:db8::/32 2001:db8:f1::1
	route spoke2 2001:db8::/32 2001:db8:f2::1
	route hub 203.0.113.0/25 198.51.100.2
	route hub 203.0.113.128/25 198.51.100.130
	route hub 2001:db8:1::/64 2001:db8:f1::2
	route hub 2001:db8:2::/64 2001:db8:f2::2
}

topo_build() { hub_spokes_build; }
