# SPDX-License-Identifier: MIT
# The wide-area tests' DNS server: knotd as the primary of some zones on a
# lab host, updates allowed with the TSIG key "lanyard-upd". Source after
# lib.sh and lab_up.
#
#   knot_primary HOST ZONE...  writes $KNOT_DIR/knot.conf, the zone files
#       (SOA, NS, the host's A) and $T/tsig.key (0600, for agent.wide_area),
#       starts knotd on HOST (KNOT_PID; ended by pid at exit) and waits for
#       its first answer. Sets KNOT_ADDR and KNOT_SECRET.
#   knot_start HOST            starts knotd again after a kill (same files).
#   knot_test_setup            skip unless root, netns, lanyardd, knotd, kdig, jq.
#   tsig_key_file PATH SECRET  a BIND/Knot key file of "lanyard-upd".
#   knot_two_lans ZONE [EXTRA] two LANs behind a router, a primary and a
#       secondary of ZONE (below).

# knot_test_setup: what every wide-area test needs first: root and network
# namespaces, a built lanyardd, knotd, kdig and jq (skips otherwise); sets
# LANYARD (the CLI) unless given.
knot_test_setup() {
	local c
	LANYARD=${LANYARD:-$top_builddir/client/lanyard}
	skip_unless_root_netns
	need_lanyardd
	for c in knotd kdig jq; do
		command -v "$c" >/dev/null 2>&1 ||
			skip "'$c' not installed (scripts/install-deps: knot, knot-dnsutils, jq)"
	done
}

tsig_key_file() {
	printf 'key "lanyard-upd" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' "$2" >"$1"
	chmod 600 "$1"
}

knot_start() {
	on_bg "$1" knotd -c "$KNOT_DIR/knot.conf" </dev/null >>"$T/knotd.out" 2>&1
	KNOT_PID=$BG_PID
}

knot_primary() {
	local _kp_host=$1 _kp_zone=$2 z
	shift
	KNOT_DIR=$T/knot
	KNOT_ADDR=$(host_addr "$_kp_host")
	KNOT_SECRET=$(head -c 32 /dev/urandom | base64)
	mkdir -p "$KNOT_DIR/db"
	{
		printf 'server:\n    listen: %s@53\n    rundir: %s\n' "$KNOT_ADDR" "$KNOT_DIR"
		printf 'database:\n    storage: %s/db\n' "$KNOT_DIR"
		printf 'key:\n  - id: lanyard-upd\n    algorithm: hmac-sha256\n    secret: %s\n' "$KNOT_SECRET"
		printf 'acl:\n  - id: update\n    key: lanyard-upd\n    action: update\n'
		printf 'zone:\n'
		for z in "$@"; do
			printf '  - domain: %s\n    storage: %s\n    file: %s.zone\n    acl: update\n' \
				"$z" "$KNOT_DIR" "$z"
		done
		printf 'log:\n  - target: %s/knotd.log\n    any: info\n' "$T"
	} >"$KNOT_DIR/knot.conf"
	for z in "$@"; do
		printf '$ORIGIN %s.\n$TTL 60\n@ SOA ns admin 1 60 60 3600 30\n@ NS ns\nns A %s\n' \
			"$z" "$KNOT_ADDR" >"$KNOT_DIR/$z.zone"
	done
	tsig_key_file "$T/tsig.key" "$KNOT_SECRET"
	knot_start "$_kp_host"
	# knotd ends by its pid (the lab's teardown would kill it too).
	trap 'rc=$?; kill "$KNOT_PID" 2>/dev/null; (exit $rc); _lib_cleanup' EXIT
	wait_for 10 eval '[ -n "$(on "$_kp_host" kdig +short +time=1 +retry=0 "@$KNOT_ADDR" "$_kp_zone" SOA 2>/dev/null)" ]' ||
		fail "knotd on $_kp_host did not answer within 10 s: $(tail -n 5 "$T/knotd.out" 2>/dev/null)"
}

# knot_two_lans ZONE [EXTRA]: two labs of 2 hosts, A (192.0.2.0/24) and B
# (198.51.100.0/24), joined by a router namespace that forwards unicast
# (multicast does not cross it); knotd on A/h1 as ZONE's primary (updates
# and transfers with the key "lanyard-upd" in $T/tsig.key; the file EXTRA,
# if given, appended to the zone file) and on B/h1 as its secondary (NOTIFY,
# IXFR; transfers with the key). Sets A, B, a_dns, b_dns, KNOT_PIDS (knotd
# and whatever the caller adds: ended by pid at exit), SEC_PID; sec_start
# starts the secondary again. Returns once the secondary serves ZONE.
knot_two_lans() {
	local _z=$1 _extra=${2:-} side leg br addr h
	A=$(lab_prefix a)
	B=$(lab_prefix b)
	_knot_router=$A-rt
	NETLAB_NET=192.0.2 lab_up 2 "$A"
	NETLAB_NET=198.51.100 lab_up 2 "$B"
	a_dns=$(LAB=$A host_addr h1)
	b_dns=$(LAB=$B host_addr h1)
	KNOT_PIDS=""
	trap 'rc=$?; for p in $KNOT_PIDS; do kill "$p" 2>/dev/null; done; ip netns del "$_knot_router" 2>/dev/null; (exit $rc); _lib_cleanup' EXIT
	ip netns add "$_knot_router" || fail "ip netns add $_knot_router"
	for side in a:$A:192.0.2.1 b:$B:198.51.100.1; do
		IFS=: read -r leg br addr <<<"$side"
		ip link add "$_knot_router-$leg" type veth peer name "eth-$leg" netns "$_knot_router" ||
			fail "veth $leg"
		ip link set "$_knot_router-$leg" master "$br-br" up || fail "bridge $br"
		ip -n "$_knot_router" addr add "$addr/24" dev "eth-$leg" || fail "address $addr"
		ip -n "$_knot_router" link set "eth-$leg" up || fail "link $leg"
	done
	ip netns exec "$_knot_router" sysctl -qw net.ipv4.ip_forward=1 || fail "ip_forward"
	for h in h1 h2; do
		LAB=$A on "$h" ip route add 198.51.100.0/24 via 192.0.2.1 || fail "route on $A/$h"
		LAB=$B on "$h" ip route add 192.0.2.0/24 via 198.51.100.1 || fail "route on $B/$h"
	done
	KNOT_SECRET=$(head -c 32 /dev/urandom | base64)
	tsig_key_file "$T/tsig.key" "$KNOT_SECRET"
	_knot_conf "$T/pri" "$a_dns" "$_z" "    acl: [update, transfer, xfr]
    notify: secondary" "remote:
  - id: secondary
    address: $b_dns@53
acl:
  - id: update
    key: lanyard-upd
    action: update
  - id: transfer
    address: $b_dns
    action: transfer
  - id: xfr
    key: lanyard-upd
    action: transfer"
	printf '$ORIGIN %s.\n$TTL 60\n@ SOA ns admin 1 2 2 3600 30\n@ NS ns\nns A %s\n' \
		"$_z" "$a_dns" >"$T/pri/$_z.zone"
	[ -z "$_extra" ] || cat "$_extra" >>"$T/pri/$_z.zone"
	_knot_conf "$T/sec" "$b_dns" "$_z" "    master: primary
    acl: [notify, xfr]" "remote:
  - id: primary
    address: $a_dns@53
acl:
  - id: notify
    address: $a_dns
    action: notify
  - id: xfr
    key: lanyard-upd
    action: transfer"
	LAB=$A on_bg h1 knotd -c "$T/pri/knot.conf" </dev/null >>"$T/knotd-pri.out" 2>&1
	KNOT_PIDS="$KNOT_PIDS $BG_PID"
	sec_start
	wait_for 30 eval '[ -n "$(LAB=$B on h2 kdig +short +time=1 +retry=0 "@$b_dns" "$_z" SOA 2>/dev/null)" ]' ||
		fail "the secondary on LAN B did not load $_z: $(tail -n 5 "$T/sec/knotd.log" 2>/dev/null)"
}

sec_start() {
	LAB=$B on_bg h1 knotd -c "$T/sec/knot.conf" </dev/null >>"$T/knotd-sec.out" 2>&1
	SEC_PID=$BG_PID
	KNOT_PIDS="$KNOT_PIDS $BG_PID"
}

# _knot_conf DIR LISTEN ZONE ZONE-STANZA-EXTRA REMOTE-AND-ACL
_knot_conf() {
	mkdir -p "$1/db"
	cat >"$1/knot.conf" <<CONF
server:
    listen: $2@53
    rundir: $1
database:
    storage: $1/db
key:
  - id: lanyard-upd
    algorithm: hmac-sha256
    secret: $KNOT_SECRET
$5
zone:
  - domain: $3
    storage: $1
    file: $3.zone
$4
log:
  - target: $1/knotd.log
    any: info
CONF
}
