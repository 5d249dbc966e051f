# shellcheck shell=bash
# Shared opensvr setup, sourced by opensvr-*.sh (files starting with "_" are
# not modes).  The caller sets OPENSVR_FORWARDER (nfqueue, pcap or raw-socket)
# before calling opensvr_mode_up.
#
# One svrd per router namespace, in the foreground (start_bg: tracked, its
# CPU charged to the overlay), state and management socket in $WORK.  Both
# routers load the same authority, generated from the project's two-routers
# lab (lab/topologies/two-routers.conf) with the harness's addresses, IPv4
# only, and the node's forwarder set to OPENSVR_FORWARDER.  Enhanced security
# key management is on: certificates, ECDH X25519 peer keys, metadata keys,
# and per-session payload keys (AES-256-CBC + HMAC-SHA-384, the only suite).
#
# Binaries: OPENSVR_SVRD and OPENSVR_SVRSH, else svrd and svrsh from PATH.
# OPENSVR_YANG_DIR, if set, is passed as --yang-dir.  Otherwise an svrd run
# from a build tree gets its own source tree's modules (svrd would prefer
# installed ones, which may be of another version).
#
# OPENSVR_ONE_SEGMENT (0 or 1, default 0): with 1, the hosts' veths send one
# TCP segment per packet (gso_max_segs 1), so no 64 KB super-packet reaches a
# router.  By default the hosts keep their defaults, as in every other mode:
# pcap and raw-socket split super-packets themselves, nfqueue gets them
# already split by netfilter.

OPENSVR_SVRD=${OPENSVR_SVRD:-$(command -v svrd)}
OPENSVR_SVRSH=${OPENSVR_SVRSH:-$(command -v svrsh)}
OPENSVR_UP_TIMEOUT=${OPENSVR_UP_TIMEOUT:-30}
OPENSVR_ONE_SEGMENT=${OPENSVR_ONE_SEGMENT:-0}

# shellcheck disable=SC2034  # read by run.sh
MODE_DESC="$("$OPENSVR_SVRD" --version 2>/dev/null | head -n1), AES-256-CBC+HMAC-SHA384, forwarder $OPENSVR_FORWARDER"

# _osvr_yang_dir : the --yang-dir to pass, or nothing
_osvr_yang_dir() {
	local bt src
	if [[ -n ${OPENSVR_YANG_DIR:-} ]]; then
		echo "$OPENSVR_YANG_DIR"
		return
	fi
	# svrd in BUILDDIR/daemon/: BUILDDIR/Makefile names the source tree
	bt=$(dirname "$OPENSVR_SVRD")/..
	[[ -f $bt/Makefile ]] || return 0
	src=$(sed -n 's/^abs_top_srcdir = //p' "$bt/Makefile" | head -n1)
	[[ -n $src && -f $src/config-model/yang/opensvr.yang ]] && (cd "$src/config-model/yang" && pwd)
}

# _osvr_router NAME WAN_IF WAN_IP LAN_IF LAN_IP LAN_NET PEER SERVICE :
# one router's section (as in the template: WAN in neighborhood "wan", the
# LAN without one, a service route to the far LAN's service via the peer)
_osvr_router() {
	cat <<-EOF
	        router  $1
	            peering-common-name  $1.lab
	            node  $1-1
	                forwarder  $OPENSVR_FORWARDER
	                device-interface  $2
	                    network-interface  $2
	                        address  $3
	                            prefix-length  ${WAN_NET#*/}
	                        exit
	                        neighborhood  wan
	                            topology  mesh
	                        exit
	                    exit
	                exit
	                device-interface  $4
	                    network-interface  $4
	                        address  $5
	                            prefix-length  ${6#*/}
	                        exit
	                    exit
	                exit
	            exit
	            service-route  to-${8%-lan}
	                service-name  $8
	                peer          $7
	            exit
	        exit
	EOF
}

# _osvr_conf : the authority both routers load (svrsh batch format)
_osvr_conf() {
	cat <<-EOF
	# Generated from lab/topologies/two-routers.conf: the harness's addresses,
	# IPv4 only, forwarder $OPENSVR_FORWARDER.
	config
	    authority
	        name                              lab
	        enhanced-security-key-management  true
	        security-key-management
	            key-exchange-algorithm  ecdh-x25519
	        exit
	        service  hostA-lan
	            address  $LAN_A_NET
	        exit
	        service  hostB-lan
	            address  $LAN_B_NET
	        exit
	EOF
	_osvr_router routerA "$RA_WAN_IF" "$RA_WAN_IP" "$RA_LAN_IF" "$RA_LAN_IP" "$LAN_A_NET" routerB hostB-lan
	_osvr_router routerB "$RB_WAN_IF" "$RB_WAN_IP" "$RB_LAN_IF" "$RB_LAN_IP" "$LAN_B_NET" routerA hostA-lan
	cat <<-EOF
	    exit
	exit
	commit comment "peers bench: two-routers authority, forwarder $OPENSVR_FORWARDER"
	EOF
}

# _osvr_sh NS SOCKET ARGS... : one-shot svrsh inside NS
_osvr_sh() {
	local ns=$1 sock=$2
	shift 2
	nsx "$ns" "$OPENSVR_SVRSH" --socket "$sock" "$@"
}

# _osvr_until NS SOCKET COMMAND ERE SECONDS : poll COMMAND until ERE matches
_osvr_until() {
	local i
	for ((i = 0; i < $5 * 5; i++)); do
		_osvr_sh "$1" "$2" -c "$3" 2>/dev/null | grep -Eq -- "$4" && return 0
		sleep 0.2
	done
	return 1
}

opensvr_mode_up() {
	local yang r ns d ydir=()
	[[ -x $OPENSVR_SVRD ]] || { log "no svrd (set OPENSVR_SVRD)"; return 1; }
	[[ -x $OPENSVR_SVRSH ]] || { log "no svrsh (set OPENSVR_SVRSH)"; return 1; }
	case $OPENSVR_FORWARDER in
		nfqueue | pcap | raw-socket) ;;
		*) log "unknown forwarder '$OPENSVR_FORWARDER'"; return 1 ;;
	esac
	if [[ $OPENSVR_ONE_SEGMENT == 1 ]]; then
		ip -n "$NS_HA" link set "$HA_IF" gso_max_segs 1 || return 1
		ip -n "$NS_HB" link set "$HB_IF" gso_max_segs 1 || return 1
		meta "cmd ns=hA ip link set $HA_IF gso_max_segs 1"
		meta "cmd ns=hB ip link set $HB_IF gso_max_segs 1"
	fi
	yang=$(_osvr_yang_dir)
	[[ -n $yang ]] && ydir=(--yang-dir "$yang")
	_osvr_conf >"$WORK/authority.conf" || return 1

	for r in A B; do
		if [[ $r == A ]]; then ns=$NS_RA; else ns=$NS_RB; fi
		d=$WORK/$r
		mkdir -p "$d" || return 1
		start_bg "$ns" "$WORK/svrd-$r.log" "$OPENSVR_SVRD" -f \
			--state-dir "$d/state" --socket "$d/svrd.sock" \
			--router "router$r" --node "router$r-1" "${ydir[@]}"
	done
	for r in A B; do
		wait_for_path "$WORK/$r/svrd.sock" 15 || { log "svrd router$r: no socket"; tail -5 "$WORK/svrd-$r.log" >&2; return 1; }
	done

	for r in A B; do
		if [[ $r == A ]]; then ns=$NS_RA; else ns=$NS_RB; fi
		meta "cmd ns=r$r svrsh --socket \$WORK/$r/svrd.sock -f \$WORK/authority.conf"
		if ! _osvr_sh "$ns" "$WORK/$r/svrd.sock" -f "$WORK/authority.conf" >"$WORK/load-$r.log" 2>&1; then
			log "router$r did not take the configuration:"
			sed 's/^/  /' "$WORK/load-$r.log" >&2
			return 1
		fi
	done

	# ready: key exchange complete with the peer, and the forwarder running
	for r in A B; do
		if [[ $r == A ]]; then ns=$NS_RA; else ns=$NS_RB; fi
		_osvr_until "$ns" "$WORK/$r/svrd.sock" 'show peers security' \
			'Security Status: *MKEY_EXCH_COMP' "$OPENSVR_UP_TIMEOUT" ||
			{ log "router$r: key exchange not complete"; _osvr_sh "$ns" "$WORK/$r/svrd.sock" -c 'show peers security' >&2; return 1; }
		_osvr_until "$ns" "$WORK/$r/svrd.sock" 'show stats' \
			"Forwarder: *$OPENSVR_FORWARDER\$" "$OPENSVR_UP_TIMEOUT" ||
			{
				log "router$r: forwarder $OPENSVR_FORWARDER not running (an svrd without a data plane has no 'show stats')"
				_osvr_sh "$ns" "$WORK/$r/svrd.sock" -c 'show stats' >&2
				_osvr_sh "$ns" "$WORK/$r/svrd.sock" -c 'show alarms' >&2
				return 1
			}
	done

	# svrd sends through a raw IP socket: the far LAN needs no route on the
	# routers (and gets none, so nothing can go around the overlay in plain).
	meta "forwarder=$OPENSVR_FORWARDER one_segment=$OPENSVR_ONE_SEGMENT"
	meta "yang_dir=\"${yang:-svrd default}\""
	meta "opensvr_peer_a=\"$(_osvr_sh "$NS_RA" "$WORK/A/svrd.sock" -c 'show peers security' 2>/dev/null |
		grep -E '^ *(Status|Security Status):' | sed 's/^ *//; s/  */ /g' | paste -sd ';' -)\""
	meta "opensvr_rules_a=\"$(nsx "$NS_RA" iptables -w -t mangle -S OPENSVR 2>/dev/null | grep -c '^-A') rules in mangle OPENSVR\""
}
