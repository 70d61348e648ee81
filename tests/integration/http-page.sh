#!/bin/bash
# SPDX-License-Identifier: MIT
# The live page (GET /) in a real browser: headless Chromium, driven through chromedriver inside the consumer's host, shows every instance of the LAN with its address, port, version, weight, priority, tags and state and this host's services, adds a provider that starts and drops one that stops without a reload, keeps hostile LAN names as text, filters rows, says reconnecting while its agent is away and rebuilds from the new snapshot, fits a phone, and is saved as tests/integration/http-page.png (and -phone.png) in the build directory.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/lib-consumer.sh"

skip_unless_root_netns
need_lanyardd
. "$top_srcdir/tests/integration/lib-webdriver.sh"
lab_up 4
consumer_workdir
# chromedriver and Chromium end before the lab does (lib.sh's trap); a
# child caught between fork and exec leaves them alone.
page_cleanup() {
	local rc=$?
	[ "$BASHPID" = "$$" ] && wd_stop
	(exit "$rc")
	_lib_cleanup
}
trap page_cleanup EXIT

PORT=8787
URL=http://127.0.0.1:$PORT
SHOT=$top_builddir/tests/integration/http-page.png
PHONE=$top_builddir/tests/integration/http-page-phone.png
t_start=$(now)

# h1: the consumer whose page is opened; it declares web (announced) and
# admin (a tcp check on a port nothing listens on: critical, withdrawn).
cat >"$T/h1.yaml" <<YAML
agent:
  socket: $T/h1.sock
  browse: all
  http:
    listen: "127.0.0.1:$PORT"
services:
  - name: web
    port: 8080
    version: 3.1.0
    tags: [frontend]
  - name: admin
    port: 9090
    checks:
      - tcp: 127.0.0.1:9090
        interval: 1s
YAML
# h2 and h3: providers of payments (h3 started later); h2 also a cache.
cat >"$T/h2.yaml" <<YAML
agent:
  socket: $T/h2.sock
services:
  - name: payments
    port: 8002
    version: 1.2.0
    weight: 3
    priority: 1
    tags: [eu, primary]
  - name: cache
    port: 6379
    version: 7.0.15
    tags: [redis]
YAML
cat >"$T/h3.yaml" <<YAML
agent:
  socket: $T/h3.sock
services:
  - name: payments
    port: 8003
    version: 1.3.0
    weight: 7
    tags: [us]
    checks:
      - ttl: 10m     # reported "warn" below: announced with TXT health=warning
YAML

agent_start_ready h1 "$T/h1.yaml"
agent_start_ready h2 "$T/h2.yaml"
# h4 runs no lanyardd: a NAS announcing its web interface with avahi-publish.
publish_start h4 "$T/h4.nas.log" "NAS admin" _http._tcp 80 "path=/admin"
NAS_PID=$PUB_PID
wait_for 10 published h2 payments || fail "h2: payments not established: $(status_get h2 .publishing)"
wait_for 10 eval 'on h1 curl -sf --max-time 2 "$URL/v1/status" >/dev/null' ||
	fail "h1: nothing answers on $URL/v1/status: $(tail -n 5 "$(agent_log h1)")"
ctype=$(on h1 curl -sf --max-time 2 -o /dev/null -w '%{content_type}' "$URL/")
case $ctype in text/html*) ;; *) fail "GET / is not HTML: Content-Type '$ctype'" ;; esac

# --- the browser ----------------------------------------------------------------
wd_start h1
t0=$(now)
wd POST /url "{\"url\":\"$URL/\"}" >/dev/null || fail "the browser cannot open $URL/"

# row NAME: the selector of NAME's instance row (NAME without quotes or backslashes).
row() { printf 'tr[data-instance="%s"]' "$1"; }
# row_json NAME: {instance, type, host, state, hidden, cells: {col: text}} of NAME's row, or null.
row_json() {
	wd_js 'var n = arguments[0], r = Array.from(document.querySelectorAll("tr[data-instance]")).filter(function (r) { return r.dataset.instance === n; })[0];
		if (!r) return null;
		var c = {}; r.querySelectorAll("td[data-col]").forEach(function (td) { c[td.dataset.col] = td.textContent; });
		return {instance: r.dataset.instance, type: r.dataset.type, host: r.dataset.host,
			state: r.dataset.state, shown: r.offsetParent !== null, cells: c,
			addrs: Array.from(r.querySelectorAll("td[data-col=address] .addr")).map(function (a) { return a.textContent; }),
			tags: Array.from(r.querySelectorAll("td[data-col=tags] .tag")).map(function (a) { return a.textContent; })};' \
		"$(jq -cn --arg s "$1" '$s')"
}
# wait_row TIMEOUT NAME: NAME's row is in the page (found by WebDriver).
wait_row() {
	local name=$2
	wait_for "$1" eval '[ -n "$(wd_find "$(row "$name")" 2>/dev/null)" ]'
}
# expect_row NAME JQ_TEST WHAT: NAME's row must satisfy JQ_TEST.
expect_row() {
	local got
	got=$(row_json "$1")
	[ -n "$got" ] && [ "$got" != null ] && jq -e "$2" <<<"$got" >/dev/null || fail "$1: $3; the row is: $got"
}

wait_row 15 payments@h2 || fail "no row for payments@h2 within 15 s: $(wd_js 'return document.body.innerText')"
wait_row 10 cache@h2 || fail "no row for cache@h2"
wait_row 10 web@h1 || fail "no row for h1's own web@h1"
wait_row 10 "NAS admin" || fail "no row for h4's \"NAS admin\" (no lanyardd there)"
log "first rows rendered $(ms_between "$t0" "$(now)") ms after opening the page"
wd_wait 10 'document.getElementById("status").dataset.state === "live"' ||
	fail "#status is not live: $(wd_js 'return document.getElementById("status").textContent')"

a2=$(host_addr h2)
expect_row payments@h2 '.type == "_payments._tcp" and .host == "h2.local" and .shown
	and (.addrs | index("'"$a2"'")) and .cells.port == "8002" and .cells.version == "1.2.0"
	and .cells.weight == "3" and .cells.priority == "1" and .tags == ["eu", "primary"]
	and (.state | split(" ") | index("up")) and (.state | split(" ") | index("local") | not)' \
	"address $a2, port 8002, version 1.2.0, weight 3, priority 1, tags eu primary, up"
expect_row cache@h2 '.type == "_cache._tcp" and .cells.port == "6379" and .cells.version == "7.0.15" and .tags == ["redis"]' \
	"port 6379, version 7.0.15, tags redis"
expect_row web@h1 '.host == "h1.local" and (.state | split(" ") | index("local")) and .cells.version == "3.1.0"' \
	"this host's own instance, local, version 3.1.0"
expect_row "NAS admin" '.type == "_http._tcp" and .host == "h4.local" and .cells.port == "80" and (.addrs | index("'"$(host_addr h4)"'"))' \
	"h4's avahi-publish instance at port 80"

# This host's declared services, from /v1/status: web announced, admin withdrawn by its check.
wd_wait 10 'document.querySelector("tr[data-publish=admin]") && document.querySelector("tr[data-publish=admin]").dataset.state.indexOf("critical") >= 0' ||
	fail "no critical admin in This host: $(wd_js 'return document.getElementById("publishing").innerText')"
pub=$(wd_js 'return Array.from(document.querySelectorAll("tr[data-publish]")).map(function (r) { var w = r.dataset.state.split(" "); return r.dataset.publish + "|" + w[0] + "|" + w[w.length - 1]; }).sort();')
[ "$pub" = '["admin|withdrawn|critical","web|announced|passing"]' ] ||
	fail "This host shows: $pub"

# --- live: a provider starts, nothing reloads -------------------------------------
wd_js 'window.__marker = 1; return window.__marker;' >/dev/null
agent_start_ready h3 "$T/h3.yaml"
req_ok h3 '{"op":"check","service":"payments","status":"warn","output":"queue lag 2 s"}' >/dev/null
t0=$(now)
wait_row 15 payments@h3 || fail "payments@h3 did not appear within 15 s of h3's lanyardd answering"
log "payments@h3 on the page $(ms_between "$t0" "$(now)") ms after h3's lanyardd answered"
[ "$(wd_js 'return window.__marker;')" = 1 ] || fail "the page was reloaded (window.__marker is gone)"
expect_row payments@h3 '.host == "h3.local" and (.addrs | index("'"$(host_addr h3)"'")) and .cells.port == "8003"
	and .cells.version == "1.3.0" and .cells.weight == "7" and .cells.priority == "0" and .tags == ["us"]
	and (.state | test("check warning"))' \
	"port 8003, version 1.3.0, weight 7, priority 0, tags us, its check warning"

# Outlier ejection (5 failed reports) shows on the row, from /v1/status.
for i in 1 2 3 4 5; do
	req_ok h1 '{"op":"report","service":"payments","instance":"payments@h2","result":"fail"}' >/dev/null
done
[ "$(status_get h1 '.ejected | map(.instance) | join(",")')" = payments@h2 ] ||
	fail "h1 did not eject payments@h2 after 5 failed reports: $(status_get h1 .ejected)"
wd_wait 15 'document.querySelector("tr[data-instance=\"payments@h2\"]").dataset.state.indexOf("ejected") >= 0' ||
	fail "payments@h2 not shown ejected: $(row_json payments@h2)"
expect_row payments@h2 '.cells.state | test("ejected: failures, [0-9]+s left")' "ejected for failures, with the time left"

# The whole page in one picture: the window as tall as the document.
h=$(wd_js 'return document.documentElement.scrollHeight;')
wd POST /window/rect "{\"width\":1280,\"height\":$((h > 2400 ? 2400 : h + 120))}" >/dev/null
wd_js 'window.scrollTo(0, 0); return 1;' >/dev/null
wd_screenshot "$SHOT" || fail "no screenshot"
log "screenshot: $SHOT"

# --- hostile names stay text --------------------------------------------------------
EVIL='<img src=x onerror="document.title=1">'
publish_start h4 "$T/h4.evil.log" "$EVIL" _payments._tcp 9004 "version=<b>1</b>" "tags=<script>x</script>"
EVIL_PID=$PUB_PID
wait_for 15 eval '[ "$(wd_js "var n = arguments[0]; return Array.from(document.querySelectorAll(\"tr[data-instance]\")).some(function (r) { return r.dataset.instance === n; });" "$(jq -cn --arg s "$EVIL" '\''$s'\'')")" = true ]' ||
	fail "no row for the hostile instance"
got=$(wd_js 'var n = arguments[0], r = Array.from(document.querySelectorAll("tr[data-instance]")).filter(function (r) { return r.dataset.instance === n; })[0];
	return {name: r.querySelector("td[data-col=instance]").textContent, version: r.querySelector("td[data-col=version]").textContent,
		elements: document.querySelectorAll("main img, main script, main b").length, title: document.title};' \
	"$(jq -cn --arg s "$EVIL" '$s')")
jq -e --arg n "$EVIL" '.name == $n and .version == "<b>1</b>" and .elements == 0 and .title == "lanyard"' <<<"$got" >/dev/null ||
	fail "a hostile name became markup: $got"
publish_stop "$EVIL_PID"

# --- a provider stops: its rows go, nothing reloads -----------------------------------
agent_stop h2 || fail "lanyardd on h2 exited $AGENT_RC"
t0=$(now)
wait_for 15 eval '[ -z "$(wd_find "$(row payments@h2)" 2>/dev/null)" ] && [ -z "$(wd_find "$(row cache@h2)" 2>/dev/null)" ]' ||
	fail "h2's rows still on the page 15 s after its lanyardd stopped"
log "h2's rows gone $(ms_between "$t0" "$(now)") ms after its lanyardd stopped"
[ "$(wd_js 'return window.__marker;')" = 1 ] || fail "the page was reloaded (window.__marker is gone)"
[ -z "$(wd_find 'section[data-host="h2.local"]')" ] || fail "h2.local's section stays without instances"
wd_js 'return document.getElementById("log").textContent' | grep -q 'removed payments@h2' ||
	fail "Recent changes does not say payments@h2 was removed: $(wd_js 'return document.getElementById("log").textContent')"

# --- the filter -----------------------------------------------------------------------
shown() {
	wd_js 'return Array.from(document.querySelectorAll("tr[data-instance]")).filter(function (r) { return r.offsetParent !== null; }).map(function (r) { return r.dataset.instance; }).sort().join(",");' | jq -r .
}
filter=$(wd_find '#filter')
[ -n "$filter" ] || fail "no #filter"
wd POST "/element/$filter/value" '{"text":"8003"}' >/dev/null || fail "cannot type into #filter"
wait_for 10 eval '[ "$(shown)" = payments@h3 ]' || fail "filter 8003 shows: $(shown)"
wd POST "/element/$filter/clear" '{}' >/dev/null
wd POST "/element/$filter/value" '{"text":"frontend"}' >/dev/null
wait_for 10 eval '[ "$(shown)" = web@h1 ]' || fail "filter frontend shows: $(shown)"
wd POST "/element/$filter/clear" '{}' >/dev/null
wait_for 10 eval '[ "$(shown)" = "NAS admin,payments@h3,web@h1" ]' || fail "a cleared filter shows: $(shown)"

# Nothing the page did so far was refused (CSP), failed or threw.
console_errors() { wd POST /se/log '{"type":"browser"}' | jq -c "[.[] | select(.level == \"SEVERE\") | .message $1]"; }
errors=$(console_errors "")
[ "$errors" = "[]" ] || fail "the browser console has errors: $errors"

# --- the stream drops and comes back: the page rebuilds from the new snapshot ---------
agent_stop h1 || fail "lanyardd on h1 exited $AGENT_RC"
wd_wait 10 'document.getElementById("status").dataset.state === "reconnecting"' ||
	fail "#status does not say reconnecting with h1's lanyardd stopped: $(wd_js 'return document.getElementById("status").textContent')"
# Gone while the page could not hear it: the new snapshot must drop its row.
publish_stop "$NAS_PID"
agent_start_ready h1 "$T/h1.yaml"
t0=$(now)
wd_wait 20 'document.getElementById("status").dataset.state === "live"' ||
	fail "#status not live again within 20 s of h1's lanyardd answering: $(wd_js 'return document.getElementById("status").textContent')"
log "the page live again $(ms_between "$t0" "$(now)") ms after h1's lanyardd answered"
# The new lanyardd browses every type again first (a few seconds on a
# loaded machine); then the page must match it.
cached() { req h1 '{"op":"list"}' | jq -r '[.instances[]?.instance] | sort | join(",")' 2>/dev/null; }
wait_for 30 eval '[ "$(cached)" = "payments@h3,web@h1" ]' || fail "h1's new lanyardd caches: $(cached)"
wait_for 10 eval '[ "$(shown)" = "payments@h3,web@h1" ]' || fail "after reconnecting the page shows: $(shown)"
[ "$(wd_js 'return window.__marker;')" = 1 ] || fail "the page was reloaded (window.__marker is gone)"

# --- a phone --------------------------------------------------------------------------
wd POST /window/rect '{"width":390,"height":844}' >/dev/null
wd_wait 10 'document.documentElement.scrollWidth <= window.innerWidth' ||
	fail "the page is wider than a phone: $(wd_js 'return [document.documentElement.scrollWidth, window.innerWidth];')"
wd_screenshot "$PHONE" || fail "no phone screenshot"
log "screenshot: $PHONE"

# Since then, only the requests cut or refused while h1's lanyardd was away.
errors=$(console_errors '| select(test("Failed to load resource: net::ERR_") | not)')
[ "$errors" = "[]" ] || fail "the browser console has errors: $errors"
[ "$(wd_js 'return window.__marker;')" = 1 ] || fail "the page was reloaded (window.__marker is gone)"

wd_stop
log "done in $(ms_between "$t_start" "$(now)") ms"
