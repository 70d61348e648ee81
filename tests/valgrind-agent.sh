#!/bin/bash
# SPDX-License-Identifier: MIT
# lanyardd under valgrind memcheck on a simulated LAN: start before and with
# avahi-daemon, publish, browse a foreign publisher, probe it (agent.probe),
# run health checks of every kind (exec ones timing out), serve every socket
# operation (and garbage), watch a peer's presence go down and come back
# (liveness), reload (valid, invalid), lose and regain avahi-daemon, stop.
# Any memcheck error or definite/indirect leak fails.
# Run by scripts/test against a build without sanitizers (valgrind cannot
# run ASan binaries): top_builddir=BUILD tests/valgrind-agent.sh
. "${top_srcdir:-$(dirname "$0")/..}/tests/integration/lib.sh"

skip_unless_root_netns
command -v valgrind >/dev/null || fail "valgrind not installed (scripts/install-deps)"
lab_up 2
LANYARD=${LANYARD:-$top_builddir/client/lanyard}
real=$top_builddir/agent/lanyardd
[ -x "$real" ] || fail "lanyardd not built: $real"
cat >"$T/lanyardd-vg" <<SH
#!/bin/sh
exec valgrind --quiet --error-exitcode=99 --leak-check=full \\
	--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \\
	--log-file=$T/valgrind.%p.log $real "\$@"
SH
chmod +x "$T/lanyardd-vg"
LANYARDD=$T/lanyardd-vg

cat >"$T/h1.yaml" <<YAML
agent: {socket: $T/h1.sock, browse: [payments, _foreign._tcp], publish_load: true, load_interval: 1s,
        probe: {interval: 200ms, timeout: 100ms}}
services:
  - {name: payments, port: 8443, version: 2.4.1, weight: 3, tags: [eu], txt: {path: /v2}, subtypes: [_api]}
  - {name: search, port: 9200}
  - name: checked
    port: 7000
    checks:
      - {tcp: '127.0.0.1:1', interval: 200ms, timeout: 100ms}
      - {http: 'http://127.0.0.1:1/h', interval: 200ms, timeout: 100ms}
      - {exec: [/bin/sh, -c, 'echo hi; exit 1'], interval: 200ms, timeout: 150ms}
      - {exec: [/bin/sh, -c, 'sleep 5 & sleep 5'], interval: 300ms, timeout: 100ms}
      - {ttl: 5s}
YAML
q() { on h1 "$LANYARD" --socket "$T/h1.sock" --json "$@"; }

# Started while avahi-daemon is away, then it arrives.
"$NETLAB" avahi-stop "$LAB" h1 || fail "avahi-stop"
agent_start h1 "$T/h1.yaml"
wait_for 30 eval 'q status >/dev/null 2>&1' || fail "lanyardd under valgrind did not answer"
"$NETLAB" avahi-start "$LAB" h1 || fail "avahi-start"
on h2 avahi-publish -s foreign-one _foreign._tcp 7000 "k=v" >/dev/null 2>&1 &
wait_for 30 eval '[ "$(q list _foreign._tcp | jq ".instances | length")" = 1 ]' ||
	fail "the foreign instance never reached the cache: $(q list)"
wait_for 30 eval '[ "$(q list payments | jq ".instances | length")" = 1 ]' ||
	fail "the own instance never reached the cache"

# Every operation, and bad input.
q services >/dev/null || fail "services"
q resolve payments --policy weighted >/dev/null || fail "resolve"
q resolve payments --policy hash --key user42 >/dev/null || fail "resolve hash"
q report payments@h1 fail --latency 12 >/dev/null || fail "report"
q check checked warn --output "from the test" >/dev/null || fail "check"
q check search pass >/dev/null 2>&1
[ $? = 3 ] || fail "check on a service without a ttl check"
q maint payments on --reason "valgrind" >/dev/null || fail "maint on"
q maint payments off >/dev/null || fail "maint off"
wait_for 30 eval '[ "$(q status | jq "[.status.publishing[] | select(.service == \"checked\") | .checks[] | select(.last_result != null)] | length")" = 5 ]' ||
	fail "the checks did not all run: $(q status | jq .status.publishing)"
on h1 timeout 3 "$LANYARD" --socket "$T/h1.sock" --json watch payments >"$T/watch.out" 2>&1 &
printf '{"op":"list","service":"nosuch"}\ngarbage\n{"op":"resolve"}\n{"op":"status","id":[1]}\n' |
	on h1 socat -t 3 - "UNIX-CONNECT:$T/h1.sock" >"$T/bad.out" || true
[ "$(grep -c '"ok":false' "$T/bad.out")" -ge 2 ] || fail "bad input not answered: $(cat "$T/bad.out")"

# Registrations: one for the life of a command, one withdrawn by
# deregister, a bad one, and one left to the connection's end.
on h1 "$LANYARD" --socket "$T/h1.sock" register reg1 7100 --version 1.0.0 --tag x -- true ||
	fail "register -- true"
printf '%s\n' '{"op":"register","id":1,"service":{"name":"reg2","port":7101}}' \
	'{"op":"deregister","id":2,"registration":2}' \
	'{"op":"register","id":3,"service":{"name":"reg3","port":"x"}}' \
	'{"op":"register","id":4,"service":{"name":"reg4","port":7104,"txt":{"k":"v"}}}' |
	on h1 socat -t 2 - "UNIX-CONNECT:$T/h1.sock" >"$T/reg.out"
[ "$(grep -c '"ok":true' "$T/reg.out")" = 3 ] && grep -q '"bad_request"' "$T/reg.out" ||
	fail "registrations: $(cat "$T/reg.out")"

# agent.probe: the foreign endpoint (nothing listens on 7000) is marked down.
q resolve _foreign._tcp >/dev/null || fail "resolve _foreign._tcp"
wait_for 30 eval '[ "$(q list _foreign._tcp | jq ".instances[0].down")" = true ]' ||
	fail "the foreign endpoint was never marked down: $(q status | jq -c .status.probing)"

# Liveness: a lanyard peer on h2 (not under valgrind) dies and comes back.
printf 'agent: {socket: %s}\nservices:\n  - {name: payments, port: 8444}\n' "$T/h2.sock" >"$T/h2.yaml"
LANYARDD=$real agent_start h2 "$T/h2.yaml"
wait_for 30 eval '[ "$(q status | jq .status.browsing.hosts_up)" = 1 ]' ||
	fail "h1 never saw h2's presence: $(q status | jq -c .status.browsing)"
# h2's service too (its presence comes first): a host that dies with only
# its presence known is forgotten when that goes, never "down".
wait_for 30 eval '[ "$(q list _payments._tcp | jq "[.instances[] | select(.host == \"h2.local\")] | length")" = 1 ]' ||
	fail "h1 never saw h2's payments: $(q list _payments._tcp)"
"$NETLAB" crash "$LAB" h2 || fail "crash h2"
unset "AGENT_PID[h2]"
wait_for 30 eval '[ "$(q status | jq .status.browsing.hosts_down)" = 1 ]' ||
	fail "h1 never took h2 for down: $(q status | jq -c .status.browsing)"
"$NETLAB" boot "$LAB" h2 || fail "boot h2"
LANYARDD=$real agent_start h2 "$T/h2.yaml"
wait_for 30 eval '[ "$(q status | jq .status.browsing.hosts_up)" = 1 ]' ||
	fail "h1 never saw h2 back: $(q status | jq -c .status.browsing)"

# Reloads: a valid change, then an invalid file (kept running config).
sed -i 's/port: 9200/port: 9201/' "$T/h1.yaml"
agent_reload h1
sleep 3
printf 'services:\n  - name: BAD\n' >"$T/h1.yaml"
agent_reload h1
sleep 2
q status >/dev/null || fail "status after the reloads"

# avahi-daemon lost and back while running.
"$NETLAB" avahi-restart "$LAB" h1 || fail "avahi-restart"
wait_for 30 eval '[ "$(q status | jq -r .status.browsing.up)" = true ]' || fail "browse not back"

agent_stop h1 60
rc=$AGENT_RC
for f in "$T"/valgrind.*.log; do
	[ -s "$f" ] && { echo "--- $f"; cat "$f"; }
done
[ "$rc" = 0 ] || fail "lanyardd under valgrind exited $rc (99 = memcheck errors or leaks)"
echo "lanyardd: valgrind clean through start, publish, browse, registrations, probing, a peer down and back, every op, reloads, avahi restart, stop"
exit 0
