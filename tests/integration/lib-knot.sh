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
#   tsig_key_file PATH SECRET  a BIND/Knot key file of "lanyard-upd".

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
