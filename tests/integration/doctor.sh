#!/bin/bash
# SPDX-License-Identifier: MIT
# lanyard doctor on the simulated LAN: a healthy host gets exit 0 and no
# problem (every check ok, the NSS and clock lines may be info); then each
# broken setup gets exit 1 and the finding that names it: a drop rule on
# UDP 5353 added with nft, then with iptables, inside the host's network
# namespace (and removed); avahi-daemon stopped; a socket whose group the
# caller (nobody) is not in; an invalid configuration file. Never touches
# the real machine's packet filter (checked). Also: agent.interfaces
# naming a missing interface, avahi-daemon's cache too small for what
# lanyardd caches, no system bus at the address given.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib-consumer.sh"

skip_unless_root_netns
for c in setpriv nft iptables; do
	command -v "$c" >/dev/null || fail "'$c' not installed (scripts/install-deps installs it)"
done
getent group daemon >/dev/null || skip "no group 'daemon' on this machine"
lab_up 2
consumer_workdir

CHECKS="agent config socket avahi avahi-link avahi-limits interfaces firewall nss clock"
# Checks that must be ok on a healthy lab host; nss (no NSS module here)
# and clock (this machine may not run NTP) may be info.
MUST_BE_OK="agent config socket avahi avahi-link avahi-limits interfaces firewall"

cat >"$T/h1.yaml" <<YAML
agent:
  socket: $T/h1.sock
  browse: [web]
services:
  - name: payments
    port: 8443
YAML
cat >"$T/h2.yaml" <<YAML
agent:
  socket: $T/h2.sock
  socket_mode: "0660"
  socket_group: daemon
services:
  - name: web
    port: 8080
YAML
agent_start_ready h1 "$T/h1.yaml"
agent_start_ready h2 "$T/h2.yaml"
wait_for 15 eval '[ "$(list_count h1 web)" = 1 ]' || fail "h1 never lists web@h2"

# `on` must run in the host's own network namespace: rules go there only.
[ "$(on h1 readlink /proc/self/ns/net)" != "$(readlink /proc/self/ns/net)" ] ||
	fail "'on h1' runs in this machine's network namespace"
real_rules() { nft list ruleset 2>&1; iptables-save 2>/dev/null | grep -v '^#'; }
REAL_BEFORE=$(real_rules)

# avahi_conf HOST: the avahi-daemon.conf netlab started HOST's avahi-daemon with.
avahi_conf() { printf '%s\n' "${NETLAB_RUN:-/run/netlab}/$LAB/$1/avahi.conf"; }

# doctor HOST ARGS...: lanyard doctor on HOST against its agent and its
# avahi-daemon.conf; output in $OUT, exit status in $RC.
OUT=""
RC=0
doctor() {
	local h=$1
	shift
	RC=0
	OUT=$(on "$h" "$LANYARD" --socket "$T/$h.sock" "$@" doctor --avahi-config "$(avahi_conf "$h")" \
		2>"$T/doctor.err") || RC=$?
	printf '%s\n' "$OUT" >>"$T/doctor.log"
}

# finding CHECK STATUS: one line of $OUT (human output) says so.
finding() {
	grep -Eq "^$2 +$1 " <<<"$OUT"
}

# --- a healthy host ---------------------------------------------------------
doctor h1 --json
[ "$RC" = 0 ] || fail "healthy h1: exit $RC: $OUT"
for c in $CHECKS; do
	[ "$(jq -r --arg c "$c" 'select(.check == $c) | .check' <<<"$OUT" | wc -l)" = 1 ] ||
		fail "healthy h1: no single '$c' finding: $OUT"
done
for c in $MUST_BE_OK; do
	[ "$(jq -r --arg c "$c" 'select(.check == $c) | .status' <<<"$OUT")" = ok ] ||
		fail "healthy h1: '$c' is not ok: $(jq -c --arg c "$c" 'select(.check == $c)' <<<"$OUT")"
done
jq -e 'select(.status == "problem")' <<<"$OUT" >/dev/null && fail "healthy h1: a problem: $OUT"
# every line one object of exactly check, status, message, hint (null when ok)
[ "$(jq -c 'keys' <<<"$OUT" | sort -u)" = '["check","hint","message","status"]' ] ||
	fail "healthy h1: objects with other members: $OUT"
[ "$(jq -r 'select(.check == "agent") | .hint' <<<"$OUT")" = null ] || fail "an ok line with a hint: $OUT"
jq -r 'select(.check == "avahi-limits") | .message' <<<"$OUT" | grep -q "from $(avahi_conf h1)" ||
	fail "avahi-limits did not read h1's avahi.conf: $OUT"
jq -r 'select(.check == "avahi-limits") | .message' <<<"$OUT" | grep -q 'of 1024 objects per client' ||
	fail "avahi-limits does not compare with 1024: $OUT"
doctor h1
[ "$RC" = 0 ] || fail "healthy h1 (lines): exit $RC: $OUT"
[ "$(wc -l <<<"$OUT")" = 10 ] || fail "healthy h1: not one line per check: $OUT"
finding firewall ok || fail "no 'ok firewall' line: $OUT"
grep -q '0 problems found' "$T/doctor.err" || fail "no summary: $(cat "$T/doctor.err")"
log "healthy: $(tr '\n' '|' <<<"$OUT")"

# --- avahi-daemon's cache too small for what lanyardd caches --------------------
sed 's/^ratelimit-burst=.*/&\ncache-entries-max=4/' "$(avahi_conf h1)" >"$T/small.conf"
RC=0
OUT=$(on h1 "$LANYARD" --socket "$T/h1.sock" doctor --avahi-config "$T/small.conf" 2>/dev/null) || RC=$?
[ "$RC" = 1 ] || fail "small cache: exit $RC: $OUT"
grep -Eq "^problem +avahi-limits +[0-9]+ instances on [0-9]+ hosts need at least [0-9]+ of avahi-daemon's 4 cache entries .*-> raise objects-per-client-max and cache-entries-max in $T/small.conf" <<<"$OUT" ||
	fail "small cache: no 'problem avahi-limits' line: $OUT"

# --- agent.interfaces naming one that does not exist -----------------------------
cat >"$T/ifaces.yaml" <<YAML
agent:
  socket: $T/h1.sock
  interfaces: [eth0, eth7]
YAML
RC=0
OUT=$(on h1 "$LANYARD" --socket "$T/h1.sock" doctor --config "$T/ifaces.yaml" \
	--avahi-config "$(avahi_conf h1)" 2>/dev/null) || RC=$?
[ "$RC" = 1 ] || fail "eth7: exit $RC: $OUT"
grep -Eq '^problem +interfaces +agent.interfaces: eth7 does not exist -> ' <<<"$OUT" ||
	fail "eth7: no 'problem interfaces' line: $OUT"

# --- a drop rule on UDP 5353, with nft ------------------------------------------
on h1 nft add table inet ldt || fail "nft add table"
on h1 nft add chain inet ldt input '{ type filter hook input priority 0; policy accept; }' ||
	fail "nft add chain"
on h1 nft add rule inet ldt input udp dport 5353 drop || fail "nft add rule"
doctor h1
[ "$RC" = 1 ] || fail "nft drop rule: exit $RC: $OUT"
finding firewall problem || fail "nft drop rule: no 'problem firewall' line: $OUT"
grep -E '^problem +firewall ' <<<"$OUT" | grep -q 'nft table inet ldt chain input: rule handle [0-9]*: drop (IPv4, IPv6)' ||
	fail "nft drop rule: the line does not name the rule: $OUT"
[ "$(grep -c '^problem' <<<"$OUT")" = 1 ] || fail "nft drop rule: other problems: $OUT"
on h1 nft delete table inet ldt || fail "nft delete table"
doctor h1
[ "$RC" = 0 ] || fail "nft rule removed: exit $RC: $OUT"

# --- the same with iptables (iptables-nft here, or legacy) ------------------------
on h1 iptables -A INPUT -p udp --dport 5353 -j DROP || fail "iptables -A"
doctor h1
[ "$RC" = 1 ] || fail "iptables drop rule: exit $RC: $OUT"
grep -E '^problem +firewall ' <<<"$OUT" | grep -Eq 'chain INPUT.*drop|DROP' ||
	fail "iptables drop rule: no firewall problem naming INPUT: $OUT"
on h1 iptables -D INPUT -p udp --dport 5353 -j DROP || fail "iptables -D"
doctor h1
[ "$RC" = 0 ] || fail "iptables rule removed: exit $RC: $OUT"
[ "$(real_rules)" = "$REAL_BEFORE" ] || fail "this machine's packet filter changed"

# --- no system bus where it is looked for ----------------------------------------
RC=0
OUT=$(on h1 env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/no-bus" "$LANYARD" --socket "$T/h1.sock" \
	doctor --avahi-config "$(avahi_conf h1)" 2>/dev/null) || RC=$?
[ "$RC" = 1 ] || fail "no bus: exit $RC: $OUT"
grep -Eq "^problem +avahi +cannot connect to the system bus: .*\(unix:path=$T/no-bus\) -> start the system bus" <<<"$OUT" ||
	fail "no bus: no 'problem avahi' line: $OUT"

# --- avahi-daemon stopped --------------------------------------------------------
"$NETLAB" avahi-stop "$LAB" h1 || fail "avahi-stop"
wait_for 15 eval '[ "$(status_get h1 .avahi.state)" = connecting ]' ||
	fail "h1's lanyardd never noticed: $(status_get h1 .avahi)"
doctor h1
[ "$RC" = 1 ] || fail "avahi stopped: exit $RC: $OUT"
grep -Eq '^problem +avahi +avahi-daemon is not running: nobody owns org.freedesktop.Avahi' <<<"$OUT" ||
	fail "avahi stopped: no 'problem avahi' line: $OUT"
grep -Eq '^problem +avahi-link +lanyardd cannot reach avahi-daemon \(state connecting\)' <<<"$OUT" ||
	fail "avahi stopped: no 'problem avahi-link' line: $OUT"
"$NETLAB" avahi-start "$LAB" h1 || fail "avahi-start"
wait_for 15 eval '[ "$(status_get h1 .avahi.state)" = running ]' || fail "h1 never reconnected"
doctor h1
[ "$RC" = 0 ] || fail "avahi back: exit $RC: $OUT"

# --- a socket whose group the caller is not in ---------------------------------
# h2's socket is 0660, group daemon; nobody (no groups) may not connect.
RC=0
OUT=$(on h2 setpriv --reuid=65534 --regid=65534 --clear-groups -- "$LANYARD" --socket "$T/h2.sock" \
	doctor --config "$T/h2.yaml" --avahi-config "$(avahi_conf h2)" 2>"$T/doctor.err") || RC=$?
printf '%s\n' "$OUT" >>"$T/doctor.log"
[ "$RC" = 1 ] || fail "wrong group: exit $RC: $OUT"
grep -Eq '^problem +socket +this user \(nobody, uid 65534\) may not connect to .*/h2.sock: mode 0660, owner root, group daemon.* -> join group daemon' <<<"$OUT" ||
	fail "wrong group: no 'problem socket' line with the group to join: $OUT"
grep -Eq '^problem +agent +cannot connect to lanyardd at .*: Permission denied' <<<"$OUT" ||
	fail "wrong group: no 'problem agent' line: $OUT"
finding config ok || fail "wrong group: the configuration is valid: $OUT"
# nobody may not read the packet filter: said, not a problem
grep -Eq '^info +firewall +the packet filter could not be read: nft: .* -> run lanyard doctor as root' <<<"$OUT" ||
	fail "wrong group: no 'info firewall' line for nobody: $OUT"
doctor h2
[ "$RC" = 0 ] || fail "h2 as root: exit $RC: $OUT"
finding socket ok || fail "h2 as root: no 'ok socket' line: $OUT"

# --- an invalid configuration (lanyardd keeps running with the last good one) ----
cp "$T/h1.yaml" "$T/h1.yaml.good"
cat >>"$T/h1.yaml" <<YAML
  - name: broken
    port: 99999
YAML
doctor h1
[ "$RC" = 1 ] || fail "invalid config: exit $RC: $OUT"
grep -Eq "^problem +config +$T/h1.yaml is not valid: .*port.* -> lanyardd --check-config -c $T/h1.yaml" <<<"$OUT" ||
	fail "invalid config: no 'problem config' line: $OUT"
[ "$(grep -c '^problem' <<<"$OUT")" = 1 ] || fail "invalid config: other problems: $OUT"
# the same file named on the command line, as JSON
RC=0
OUT=$(on h1 "$LANYARD" --socket "$T/h1.sock" --json doctor --config "$T/h1.yaml" \
	--avahi-config "$(avahi_conf h1)" 2>/dev/null) || RC=$?
[ "$RC" = 1 ] || fail "invalid config (--config): exit $RC"
[ "$(jq -r 'select(.check == "config") | .status' <<<"$OUT")" = problem ] ||
	fail "invalid config (--config): $OUT"
cp "$T/h1.yaml.good" "$T/h1.yaml"
doctor h1
[ "$RC" = 0 ] || fail "config fixed: exit $RC: $OUT"

agent_alive h1 || fail "h1's lanyardd died"
agent_alive h2 || fail "h2's lanyardd died"
log "doctor: healthy, nft rule, iptables rule, avahi stopped, wrong group, invalid config: as expected"
