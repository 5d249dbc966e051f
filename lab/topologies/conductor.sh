# topology: hub-spokes with the authority's conductor beside the hub
#
#   conductor .130 --mgmt0 192.0.2.128/25-- .129 hub  (the routers reach it through the hub)
#   hostH .2 --lan0 192.0.2.0/25-- .1 hub; the rest as hub-spokes
# shellcheck source=hub-spokes.sh
. "$TOPODIR/hub-spokes.sh"
# Only the conductor loads the authority: the routers enrol and get it
# from there.
CONFIG_ROUTERS=(conductor)
topo_build() {
	router conductor
	HUB_LAN_LEN=25 hub_spokes_build
	link conductor eth0 192.0.2.130/25,2001:db8:c::2/64 hub mgmt0 192.0.2.129/25,2001:db8:c::1/64
	for p in 198.51.100.0/24 203.0.113.0/24; do
		route conductor "$p" 192.0.2.129
	done
	route conductor 2001:db8::/32 2001:db8:c::1
}
