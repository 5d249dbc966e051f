# topology: hostA - routerA - routerB - hostB, one shared WAN link
#
#  hostA .2 --lan0 192.0.2.0/24-- .1 routerA .1 --wan0 198.51.100.0/24-- .2 routerB .1 --lan0 203.0.113.0/24-- .2 hostB
#        2001:db8:a::/64                2001:db8:ff::/64                   2001:db8:b::/64
topo_build() {
	host hostA
	router routerA
	router routerB
	host hostB
	link hostA eth0 192.0.2.2/24,2001:db8:a::2/64 routerA lan0 192.0.2.1/24,2001:db8:a::1/64
	link routerA wan0 198.51.100.1/24,2001:db8:ff::1/64 routerB wan0 198.51.100.2/24,2001:db8:ff::2/64
	link routerB lan0 203.0.113.1/24,2001:db8:b::1/64 hostB eth0 203.0.113.2/24,2001:db8:b::2/64
	# Explicit routes to the lab's prefixes only; no default routes.
	route hostA 198.51.100.0/24 192.0.2.1
	route hostA 203.0.113.0/24 192.0.2.1
	route hostA 2001:db8::/32 2001:db8:a::1
	route hostB 198.51.100.0/24 203.0.113.1
	route hostB 192.0.2.0/24 203.0.113.1
	route hostB 2001:db8::/32 2001:db8:b::1
	route routerA 203.0.113.0/24 198.51.100.2
	route routerA 2001:db8:b::/64 2001:db8:ff::2
	route routerB 192.0.2.0/24 198.51.100.1
	route routerB 2001:db8:a::/64 2001:db8:ff::1
}
