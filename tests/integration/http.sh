#!/bin/bash
# SPDX-License-Identifier: MIT
# The HTTP interface (agent.http) on a simulated LAN: every endpoint answers as the socket does for the same request (resolve, list, services, errors), error statuses (400, 403, 404, 405, 413), Server-Sent Events of a watch (a new provider's "added" arrives), /metrics passes promtool and counts requests, the page, reload, and allow_remote refused by --check-config.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib-consumer.sh"

command -v curl >/dev/null || skip "curl not installed"
# scripts/install-deps installs prometheus: without promtool this is a failure.
command -v promtool >/dev/null || fail "promtool not installed (Debian package prometheus; scripts/install-deps)"
need_lanyardd
skip_unless_root_netns

# --- configuration check: loopback unless allow_remote -------------------------
workdir
cat >"$T/remote.yaml" <<YAML
agent:
  socket: $T/remote.sock
  http: {listen: "0.0.0.0:8787"}
YAML
out=$("$LANYARDD" --check-config -c "$T/remote.yaml" 2>&1) && fail "--check-config accepted a non-loopback listen address: $out"
grep -q "is not a loopback address: the HTTP interface has no authentication; set 'allow_remote: true'" <<<"$out" ||
	fail "--check-config said: $out"
cat >"$T/remote.yaml" <<YAML
agent:
  socket: $T/remote.sock
  http: {listen: "0.0.0.0:8787", allow_remote: true}
YAML
out=$("$LANYARDD" --check-config -c "$T/remote.yaml" 2>&1) || fail "--check-config refused allow_remote: $out"
grep -q "warning: 'listen': '0.0.0.0:8787' is not a loopback address" <<<"$out" || fail "no allow_remote warning: $out"
log "allow_remote: refused without it, a warning with it"
# HTTP connections past uid 65534's connections_per_user: a warning.
cat >"$T/quota.yaml" <<YAML
agent:
  socket: $T/quota.sock
  limits: {connections_per_user: 100}
  http: {listen: ["127.0.0.1:8787", "[::1]:8787"], max_connections: 64}
YAML
out=$("$LANYARDD" --check-config -c "$T/quota.yaml" 2>&1) || fail "--check-config refused 2 x 64 HTTP connections: $out"
grep -q "warning: 'http': 2 listen address(es) of max_connections 64 make 128 HTTP connections, more than agent.limits.connections_per_user (100)" <<<"$out" ||
	fail "no warning for 2 x 64 HTTP connections over connections_per_user 100: $out"
sed -i 's/connections_per_user: 100/connections_per_user: 128/' "$T/quota.yaml"
out=$("$LANYARDD" --check-config -c "$T/quota.yaml" 2>&1) || fail "--check-config: $out"
! grep -q "connections_per_user" <<<"$out" || fail "a warning for 2 x 64 HTTP connections within connections_per_user 128: $out"
log "--check-config: a warning when the HTTP connections could pass connections_per_user"

lab_up 2
consumer_workdir
cat >"$T/h1.yaml" <<YAML
agent:
  socket: $T/h1.sock
  user: root
services:
  - name: payments
    port: 8001
    version: 1.4.0
    tags: [pay, eu]
    txt: {zone: z1}
YAML
cat >"$T/h2.yaml" <<YAML
agent:
  socket: $T/h2.sock
  user: root
  report: {allow: ["65534"]}
  http:
    listen: ["127.0.0.1:8787", "[::1]:8787"]
    max_body: 1024
    allow_report: true
YAML
agent_start_ready h1 "$T/h1.yaml"
agent_start_ready h2 "$T/h2.yaml"
wait_for 10 published h1 payments || fail "h1: payments not established"
wait_for 10 eval '[ "$(list_count h2 payments)" = 1 ]' || fail "h2 does not list payments@h1"
grep -q 'http: listening on 127.0.0.1:8787' "$(agent_log h2)" || fail "no listening line in h2's log"

# --- a second lanyardd on the same port: refused, not sharing it ------------------
# (Regression: MHD_OPTION_LISTENING_ADDRESS_REUSE set SO_REUSEPORT, and a
# second agent listened on 127.0.0.1:8787 too, taking half the connections.)
cat >"$T/h2b.yaml" <<YAML
agent:
  socket: $T/h2b.sock
  user: root
  http: {listen: "127.0.0.1:8787"}
YAML
rc=0
out=$(on h2 timeout 20 "$LANYARDD" -f -c "$T/h2b.yaml" 2>&1) || rc=$?
[ "$rc" = 1 ] || fail "a second lanyardd on 127.0.0.1:8787 exited with $rc (expected 1): $out"
grep -q 'agent.http: cannot listen on 127.0.0.1:8787' <<<"$out" || fail "a second lanyardd on the same port said: $out"
log "a second lanyardd on the same HTTP port: exits 1, \"cannot listen\""

# hget PATH [CURL ARGS...]: GET http://127.0.0.1:8787PATH from h2; status in
# CODE, body in BODY, headers in $T/headers.
hget() {
	local path=$1
	shift
	CODE=$(on h2 curl -s -o "$T/body" -D "$T/headers" -w '%{http_code}' --max-time 10 "$@" "http://127.0.0.1:8787$path")
	BODY=$(cat "$T/body")
}
header() { tr -d '\r' <"$T/headers" | awk -v h="$1" 'BEGIN { IGNORECASE = 1 } index(tolower($0), tolower(h) ": ") == 1 { sub(/^[^:]*: /, ""); print }'; }
# same_json A B: equal JSON documents, but for "outstanding" (picks not yet
# reported, fading with time).
NORM='walk(if type == "object" then del(.outstanding) else . end)'
same_json() { [ "$(jq -S "$NORM" <<<"$1")" = "$(jq -S "$NORM" <<<"$2")" ]; }
# sock_req JSON: the socket's answer on h2, without its id.
sock_req() { req h2 "$1" | jq -c 'del(.id)'; }

# --- the JSON API answers as the socket --------------------------------------
hget /v1/status
[ "$CODE" = 200 ] || fail "/v1/status: $CODE $BODY"
[ "$(header Content-Type)" = application/json ] || fail "/v1/status Content-Type: $(header Content-Type)"
[ "$(header Cache-Control)" = no-store ] || fail "/v1/status Cache-Control: $(header Cache-Control)"
[ -z "$(header Access-Control-Allow-Origin)" ] || fail "CORS header without cors_origin"
[ "$(jq -r .status.agent.socket <<<"$BODY")" = "$T/h2.sock" ] || fail "/v1/status: $BODY"

hget /v1/services
same_json "$BODY" "$(sock_req '{"op":"services"}')" || fail "/v1/services: $BODY vs $(sock_req '{"op":"services"}')"
CODE6=$(on h2 curl -s -o /dev/null -w '%{http_code}' -g 'http://[::1]:8787/v1/services')
[ "$CODE6" = 200 ] || fail "[::1]:8787: $CODE6"

for q in "" "?tag=pay&tag=eu" "?version=%3E%3D1.2&txt=zone%3Dz1&family=ipv4" "?policy=hash&key=user%2042"; do
	hget "/v1/resolve/payments$q"
	[ "$CODE" = 200 ] || fail "/v1/resolve/payments$q: $CODE $BODY"
	# The socket request the query stands for.
	case $q in
	"") sreq='{"op":"resolve","service":"payments"}' ;;
	"?tag=pay&tag=eu") sreq='{"op":"resolve","service":"payments","tags":["pay","eu"]}' ;;
	"?version="*) sreq='{"op":"resolve","service":"payments","version":">=1.2","txt":{"zone":"z1"},"family":"ipv4"}' ;;
	"?policy="*) sreq='{"op":"resolve","service":"payments","policy":"hash","key":"user 42"}' ;;
	esac
	same_json "$BODY" "$(sock_req "$sreq")" || fail "/v1/resolve/payments$q: $BODY
socket: $(sock_req "$sreq")"
done
[ "$(jq -r .instance.instance <<<"$BODY")" = payments@h1 ] || fail "resolve: $BODY"
log "resolve: the socket's answers, with filters"

hget "/v1/list/payments?tag=pay"
[ "$CODE" = 200 ] || fail "/v1/list/payments: $CODE $BODY"
same_json "$BODY" "$(sock_req '{"op":"list","service":"payments","tags":["pay"]}')" || fail "/v1/list/payments: $BODY"
[ "$(jq '.instances | length' <<<"$BODY")" = 1 ] || fail "/v1/list/payments: $BODY"
hget "/v1/list/_payments._tcp"
same_json "$BODY" "$(sock_req '{"op":"list","service":"_payments._tcp"}')" || fail "/v1/list/_payments._tcp: $BODY"
hget "/v1/list"
same_json "$BODY" "$(sock_req '{"op":"list"}')" || fail "/v1/list: $BODY"
log "list: the socket's answers"

# --- errors: the socket's error objects, the HTTP statuses --------------------
hget /v1/resolve/nothing-here
[ "$CODE" = 404 ] || fail "/v1/resolve/nothing-here: $CODE $BODY"
same_json "$BODY" "$(sock_req '{"op":"resolve","service":"nothing-here"}')" || fail "not_found differs: $BODY"
[ "$(jq -r .error.code <<<"$BODY")" = not_found ] || fail "not_found: $BODY"
hget "/v1/resolve/payments?policy=nope"
[ "$CODE" = 400 ] && [ "$(jq -r .error.code <<<"$BODY")" = bad_request ] || fail "bad policy: $CODE $BODY"
same_json "$BODY" "$(sock_req '{"op":"resolve","service":"payments","policy":"nope"}')" || fail "bad policy differs: $BODY"
hget "/v1/list/payments?version=%3E%3Dbanana"
[ "$CODE" = 400 ] || fail "bad version: $CODE $BODY"
hget "/v1/list/payments?colour=red"
[ "$CODE" = 400 ] && grep -q 'unknown query parameter' <<<"$BODY" || fail "unknown parameter: $CODE $BODY"
hget "/v1/list/payments?tag=%zz"
[ "$CODE" = 400 ] && [ "$(jq -r .error.code <<<"$BODY")" = bad_request ] || fail "bad escape: $CODE $BODY"
hget "/v1/list/pay%2"
[ "$CODE" = 400 ] || fail "bad escape in the path: $CODE $BODY"
hget /v1/nothing
[ "$CODE" = 404 ] && [ "$(jq -r .error.code <<<"$BODY")" = not_found ] || fail "unknown path: $CODE $BODY"
[ "$(header Content-Type)" = application/json ] || fail "404 Content-Type: $(header Content-Type)"
hget "/v1/resolve"
[ "$CODE" = 404 ] || fail "/v1/resolve without a service: $CODE $BODY"
hget /v1/status -X POST
[ "$CODE" = 405 ] && [ "$(header Allow)" = "GET, HEAD" ] || fail "POST /v1/status: $CODE, Allow: $(header Allow)"
hget /v1/report
[ "$CODE" = 405 ] && [ "$(header Allow)" = POST ] || fail "GET /v1/report: $CODE, Allow: $(header Allow)"
hget /v1/report -X POST -H 'Content-Type: application/json' --data-binary "{\"instance\":\"$(head -c 2000 /dev/zero | tr '\0' x)\",\"result\":\"ok\"}"
[ "$CODE" = 413 ] && [ "$(jq -r .error.code <<<"$BODY")" = too_large ] || fail "report over max_body: $CODE $BODY"
hget /v1/report -X POST -H 'Content-Type: application/json' --data-binary 'not json'
[ "$CODE" = 400 ] || fail "report of bad JSON: $CODE $BODY"
hget /v1/report -X POST -H 'Content-Type: application/json' --data-binary '{"op":"maint","service":"payments","state":"on"}'
[ "$CODE" = 400 ] || fail "report with an op: $CODE $BODY"
log "errors: 400, 404, 405, 413 as documented"

# --- report: the socket's rules for uid 65534 ---------------------------------
hget /v1/report -X POST -H 'Content-Type: application/json' --data-binary '{"instance":"payments@h1","service":"payments","result":"ok","latency_ms":3}'
[ "$CODE" = 200 ] && [ "$BODY" = '{"ok":true}' ] || fail "report of a handed endpoint: $CODE $BODY"
hget /v1/report -X POST -H 'Content-Type: application/json' --data-binary '{"instance":"nobody@nowhere","result":"ok"}'
[ "$CODE" = 404 ] || fail "report of an unknown instance: $CODE $BODY"
log "report: accepted for an endpoint resolved over HTTP"

# --- DNS rebinding and other sites' pages -------------------------------------------
# A loopback listener answers only a Host naming it.
for hh in 'evil.example' 'evil.example:8787' '127.0.0.1.evil.example:8787' 'localhost:9999'; do
	hget /v1/status -H "Host: $hh"
	[ "$CODE" = 403 ] && [ "$(jq -r .error.code <<<"$BODY")" = forbidden ] || fail "Host: $hh: $CODE $BODY"
	[ "$(header Content-Type)" = application/json ] || fail "Host: $hh: Content-Type $(header Content-Type)"
done
hget /v1/watch/payments -H 'Host: evil.example'
[ "$CODE" = 403 ] || fail "a watch with Host: evil.example: $CODE $BODY"
hget / -H 'Host: evil.example'
[ "$CODE" = 403 ] || fail "the page with Host: evil.example: $CODE"
for hh in '127.0.0.1:8787' 'localhost:8787' 'LocalHost' '127.0.0.1' '[::1]:8787'; do
	hget /v1/status -H "Host: $hh"
	[ "$CODE" = 200 ] || fail "Host: $hh: $CODE $BODY"
done
# Another site's page: refused whatever it asks (CORS is off).
hget /v1/status -H 'Origin: http://evil.example'
[ "$CODE" = 403 ] && [ "$(jq -r .error.code <<<"$BODY")" = forbidden ] || fail "Origin: http://evil.example: $CODE $BODY"
hget /v1/report -X POST -H 'Origin: http://evil.example' -H 'Content-Type: application/json' \
	--data-binary '{"instance":"payments@h1","service":"payments","result":"fail"}'
[ "$CODE" = 403 ] || fail "a report from Origin: http://evil.example: $CODE $BODY"
hget /v1/status -H 'Origin: null'
[ "$CODE" = 403 ] || fail "Origin: null: $CODE $BODY"
# The page's own requests (same origin) are answered.
hget /v1/status -H 'Origin: http://127.0.0.1:8787'
[ "$CODE" = 200 ] || fail "same-origin Origin: $CODE $BODY"
# A report must be JSON: a form (text/plain, urlencoded) any page may post is 415.
for ct in 'text/plain' 'application/x-www-form-urlencoded' 'multipart/form-data; boundary=x'; do
	hget /v1/report -X POST -H "Content-Type: $ct" --data-binary '{"instance":"payments@h1","service":"payments","result":"fail"}'
	[ "$CODE" = 415 ] && [ "$(jq -r .error.code <<<"$BODY")" = bad_request ] || fail "a report as $ct: $CODE $BODY"
done
hget /v1/report -X POST -H 'Content-Type: application/json; charset=utf-8' \
	--data-binary '{"instance":"payments@h1","service":"payments","result":"ok"}'
[ "$CODE" = 200 ] || fail "a report as application/json; charset=utf-8: $CODE $BODY"
log "Host, Origin and Content-Type: another site's requests refused (403, 415)"

# --- the page ------------------------------------------------------------------
hget /
[ "$CODE" = 200 ] || fail "GET /: $CODE"
[ "$(header Content-Type)" = "text/html; charset=utf-8" ] || fail "GET / Content-Type: $(header Content-Type)"
header Content-Security-Policy | grep -q "default-src 'self'" || fail "GET /: no CSP: $(cat "$T/headers")"
grep -qi '<html' "$T/body" || fail "GET /: not HTML"

# --- Server-Sent Events ----------------------------------------------------------
on h2 curl -sN -D "$T/sse.headers" --max-time 60 http://127.0.0.1:8787/v1/watch/payments >"$T/sse.txt" 2>/dev/null &
CONSUMER_PIDS="$CONSUMER_PIDS $!"
on h2 curl -sN --max-time 60 http://127.0.0.1:8787/v1/watch >"$T/sse-all.txt" 2>/dev/null &
CONSUMER_PIDS="$CONSUMER_PIDS $!"
wait_for 10 grep -q '^event: snapshot_end' "$T/sse.txt" || fail "no snapshot_end on /v1/watch/payments: $(cat "$T/sse.txt")"
wait_for 10 grep -q '^event: snapshot_end' "$T/sse-all.txt" || fail "no snapshot_end on /v1/watch: $(cat "$T/sse-all.txt")"
tr -d '\r' <"$T/sse.headers" | grep -qi '^content-type: text/event-stream$' || fail "SSE Content-Type: $(cat "$T/sse.headers")"
[ "$(grep -c '^event: added' "$T/sse.txt")" = 1 ] || fail "snapshot: $(cat "$T/sse.txt")"
# Each data line is the socket's event line.
grep '^data: ' "$T/sse.txt" | head -1 | sed 's/^data: //' | jq -e '.event == "added" and .instance.instance == "payments@h1"' >/dev/null ||
	fail "SSE data: $(cat "$T/sse.txt")"
publish_start h1 "$T/pub.log" "payments two" _payments._tcp 9100 "version=2.0.0"
wait_for 10 eval 'grep -q "^data: .*\"event\":\"added\".*payments two" "$T/sse.txt"' ||
	fail "no added event for the new provider on /v1/watch/payments: $(cat "$T/sse.txt")"
grep -B1 'payments two' "$T/sse.txt" | head -1 | grep -q '^event: added$' || fail "SSE framing: $(cat "$T/sse.txt")"
wait_for 10 eval 'grep -q "payments two" "$T/sse-all.txt"' || fail "no added event for the new provider on /v1/watch"
log "watch: snapshot, then the new provider's added event, as SSE"

# --- metrics -----------------------------------------------------------------------
hget /metrics
[ "$CODE" = 200 ] || fail "/metrics: $CODE"
header Content-Type | grep -q '^text/plain; version=0.0.4' || fail "/metrics Content-Type: $(header Content-Type)"
promtool check metrics <"$T/body" >"$T/promtool.out" 2>&1 || fail "promtool check metrics: $(cat "$T/promtool.out")"
for m in lanyard_requests_total lanyard_request_duration_seconds_bucket lanyard_cache_instances \
	lanyard_avahi_connected lanyard_mdns_events_total "lanyard_connections_open " process_resident_memory_bytes \
	process_cpu_seconds_total lanyard_browse_up lanyard_cache_dropped_total; do
	grep -q "^$m" "$T/body" || fail "/metrics has no $m"
done
# No gauge named after the counter family lanyard_connections_total: an
# OpenMetrics parser reads "lanyard_connections" as that counter's family.
! grep -q '^# TYPE lanyard_connections ' "$T/body" || fail "/metrics still has the gauge lanyard_connections"
grep -q '^lanyard_cache_instances{service="payments",type="_payments._tcp"} 2$' "$T/body" ||
	fail "cache instances: $(grep lanyard_cache_instances "$T/body")"
resolves() { grep '^lanyard_requests_total{op="resolve",outcome="ok"}' "$T/body" | awk '{ print $2 }'; }
before=$(resolves)
for i in 1 2 3 4 5; do hget /v1/resolve/payments; done
req h2 '{"op":"resolve","service":"payments"}' >/dev/null
hget /metrics
after=$(resolves)
[ "$after" = $((before + 6)) ] || fail "lanyard_requests_total resolve ok: $before, then $after after 6 resolves"
grep -q '^lanyard_requests_total{op="resolve",outcome="not_found"} [1-9]' "$T/body" || fail "no not_found resolve counted"
log "metrics: promtool passes, resolve counter $before -> $after"

# --- a keep-alive client: one socket connection for all its requests ---------------
c0=$(status_get h2 .server.connections_total)
on h2 curl -s -o /dev/null -o /dev/null -o /dev/null -o /dev/null -o /dev/null \
	http://127.0.0.1:8787/v1/resolve/payments http://127.0.0.1:8787/v1/services \
	http://127.0.0.1:8787/v1/resolve/nothing-here http://127.0.0.1:8787/v1/list/payments \
	http://127.0.0.1:8787/v1/status
c1=$(status_get h2 .server.connections_total)
# The 5 requests on one socket side, and the second status_get's own
# connection; another client's connection meanwhile may add one or two:
# what matters is fewer than one per request.
[ $((c1 - c0 - 1)) -ge 1 ] && [ $((c1 - c0 - 1)) -lt 5 ] || fail "5 keep-alive requests took $((c1 - c0 - 1)) socket connections"
log "keep-alive: 5 requests over one socket connection"

# --- reload: CORS at once, listeners reopened ---------------------------------------
sed -i 's/    allow_report: true/    allow_report: true\n    cors_origin: "https:\/\/grafana.example"/' "$T/h2.yaml"
agent_reload h2
wait_for 10 grep -q 'reloaded' "$(agent_log h2)" || fail "no reload"
hget /v1/status
[ "$(header Access-Control-Allow-Origin)" = "https://grafana.example" ] || fail "cors_origin after reload: $(cat "$T/headers")"
hget /v1/status -H 'Origin: https://grafana.example'
[ "$CODE" = 200 ] || fail "Origin: cors_origin: $CODE $BODY"
hget /v1/status -H 'Origin: http://evil.example'
[ "$CODE" = 403 ] || fail "an Origin other than cors_origin: $CODE $BODY"
sed -i 's/"\[::1\]:8787"/"127.0.0.1:8788"/' "$T/h2.yaml"
agent_reload h2
wait_for 10 grep -q "agent.http's listeners changed" "$(agent_log h2)" || fail "no reopen line"
wait_for 10 eval '[ "$(on h2 curl -s -o /dev/null -w "%{http_code}" http://127.0.0.1:8788/v1/status)" = 200 ]' ||
	fail "127.0.0.1:8788 does not answer after the reload"
log "reload: cors_origin applied, listeners reopened"

agent_alive h2 || fail "h2's lanyardd died"
agent_stop h2 || fail "h2's lanyardd exited with $AGENT_RC"
! grep -qE 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$(agent_log h2)" || fail "sanitizer report in h2's log"
log "OK"
