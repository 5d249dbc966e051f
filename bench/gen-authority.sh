#!/bin/sh
# Print an authority of N routers (default 1000) in PCLI text, each with two
# network interfaces (wan, lan): two hubs and N-2 spokes in one hub-and-spoke
# neighborhood, so every router takes part in peering (peers and adjacencies
# are generated at commit).  Addresses come from the documentation ranges:
# WAN 198.51.100.0/24 + 2001:db8:f::/48 (IPv6 once the /24 runs out),
# LANs 2001:db8:1000::/36.
set -eu
n=${1:-1000}
echo "config"
echo "    authority"
echo "        name  bench"
echo "        enhanced-security-key-management  true"
i=1
while [ "$i" -le "$n" ]; do
	if [ "$i" -le 2 ]; then topo=hub; else topo=spoke; fi
	if [ "$i" -le 250 ]; then
		wan=198.51.100.$i
		wlen=24
	else
		wan=$(printf '2001:db8:f::%x' "$i")
		wlen=64
	fi
	lan=$(printf '2001:db8:%x::1' $((4096 + i)))
	cat <<ROUTER
        router  r$i
            peering-common-name  r$i.bench
            location  "rack $i"
            node  r$i-1
                device-interface  wan
                    network-interface  wan
                        address  $wan
                            prefix-length  $wlen
                        exit
                        neighborhood  backbone
                            topology  $topo
                        exit
                    exit
                exit
                device-interface  lan
                    network-interface  lan
                        address  $lan
                            prefix-length  64
                        exit
                    exit
                exit
            exit
        exit
ROUTER
	i=$((i + 1))
done
echo "    exit"
echo "exit"
