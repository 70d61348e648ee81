# SPDX-License-Identifier: MIT
# Helpers for browser tests: Debian's headless Chromium driven through chromedriver's WebDriver REST API with curl and jq, inside a lab host.
#
# Source it after lib.sh:
#   . "$top_srcdir/tests/integration/lib-webdriver.sh"
#   wd_start HOST             chromedriver in HOST (so the browser reaches
#                             HOST's loopback), a headless session; WD_PORT,
#                             WD_PID, WD_SESSION
#   wd METHOD PATH [JSON]     one command of the session (PATH after
#                             /session/ID); prints the reply's "value" as JSON,
#                             returns 1 on a WebDriver error (printed to stderr)
#   wd_js SCRIPT [ARG...]     execute/sync SCRIPT (a function body; the
#                             arguments are JSON values in `arguments`);
#                             prints its return value as JSON
#   wd_find CSS               element references of every match, one a line
#   wd_wait TIMEOUT_S JS_EXPR true once JS_EXPR (an expression) is true in
#                             the page, false after TIMEOUT_S
#   wd_screenshot FILE        a PNG of the viewport
#   wd_stop                   end the session and chromedriver (by pid)
# Chromium runs with --no-sandbox (root, no user namespace in a lab host) in
# a profile under $T; chromedriver's log is $T/chromedriver.log.

WD_HOST=""
WD_PORT=""
WD_PID=""
WD_SESSION=""
WD_ELEMENT=element-6066-11e4-a52e-4f735466cecf

for _c in chromium chromedriver curl jq base64; do
	command -v "$_c" >/dev/null 2>&1 ||
		fail "'$_c' not installed (scripts/install-deps installs chromium, chromium-driver, curl and jq)"
done
unset _c

# _wd_curl METHOD URL_PATH [JSON]: raw HTTP to chromedriver from inside WD_HOST.
_wd_curl() {
	local m=$1 p=$2 body=${3:-}
	if [ -n "$body" ]; then
		on "$WD_HOST" curl -sS --max-time 60 -X "$m" -H 'Content-Type: application/json' \
			--data-binary "$body" "http://127.0.0.1:$WD_PORT$p"
	else
		on "$WD_HOST" curl -sS --max-time 60 -X "$m" "http://127.0.0.1:$WD_PORT$p"
	fi
}

# _wd_value REPLY: the reply's value, or its error on stderr and status 1.
_wd_value() {
	local err
	err=$(jq -r 'if (.value | type) == "object" and (.value.error? // null) != null
		then "\(.value.error): \(.value.message | split("\n")[0])" else empty end' <<<"$1" 2>/dev/null) ||
		{ echo "webdriver: not JSON: ${1:0:200}" >&2; return 1; }
	if [ -n "$err" ]; then
		echo "webdriver: $err" >&2
		return 1
	fi
	jq -c .value <<<"$1"
}

_wd_ready() {
	[ "$(_wd_curl GET /status 2>/dev/null | jq -r .value.ready 2>/dev/null)" = true ]
}

# _wd_free_port HOST: a TCP port nothing listens on in HOST.
_wd_free_port() {
	local p
	for p in 9515 9516 9517 9518 9519 19515 29515; do
		on "$1" ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return 0; }
	done
	return 1
}

wd_start() {
	local reply caps
	WD_HOST=$1
	workdir
	WD_PORT=$(_wd_free_port "$WD_HOST") || fail "no free port for chromedriver on $WD_HOST"
	mkdir -p "$T/chromium"
	on_bg "$WD_HOST" chromedriver --port="$WD_PORT" --allowed-ips= --log-path="$T/chromedriver.log" \
		</dev/null >>"$T/chromedriver.out" 2>&1
	WD_PID=$BG_PID
	wait_for 20 _wd_ready || fail "chromedriver on $WD_HOST does not answer on port $WD_PORT: $(tail -n 5 "$T/chromedriver.out" "$T/chromedriver.log" 2>/dev/null)"
	caps=$(jq -cn --arg dir "$T/chromium" '{capabilities: {alwaysMatch: {
		browserName: "chrome", pageLoadStrategy: "normal", "goog:loggingPrefs": {browser: "ALL"},
		"goog:chromeOptions": {binary: "/usr/bin/chromium", args: [
			"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
			"--no-first-run", "--no-default-browser-check", "--disable-extensions",
			"--disable-background-networking", "--disable-component-update",
			"--disable-sync", "--disable-breakpad", "--disable-crash-reporter",
			"--hide-scrollbars", "--force-device-scale-factor=1",
			"--user-data-dir=\($dir)", "--window-size=1280,900"]}}}}')
	reply=$(_wd_curl POST /session "$caps") || fail "webdriver: new session: no answer"
	WD_SESSION=$(jq -r '.value.sessionId // empty' <<<"$reply" 2>/dev/null)
	[ -n "$WD_SESSION" ] || fail "webdriver: no session: ${reply:0:400}"
	log "chromium $(jq -r '.value.capabilities.browserVersion' <<<"$reply") headless in $WD_HOST (chromedriver pid $WD_PID, port $WD_PORT)"
}

wd() {
	local reply
	reply=$(_wd_curl "$1" "/session/$WD_SESSION$2" "${3:-}") || { echo "webdriver: $1 $2: no answer" >&2; return 1; }
	_wd_value "$reply"
}

wd_js() {
	local script=$1 args
	shift
	args=$(printf '%s\n' "$@" | jq -cs .)
	[ $# -gt 0 ] || args='[]'
	wd POST /execute/sync "$(jq -cn --arg s "$script" --argjson a "$args" '{script: $s, args: $a}')"
}

wd_find() {
	wd POST /elements "$(jq -cn --arg v "$1" '{using: "css selector", value: $v}')" |
		jq -r --arg k "$WD_ELEMENT" '.[][$k]'
}

wd_wait() {
	local expr=$2
	wait_for "$1" eval '[ "$(wd_js "return !!($expr);" 2>/dev/null)" = true ]'
}

wd_screenshot() {
	wd GET /screenshot | jq -r . | base64 -d >"$1" || return 1
	[ "$(head -c 4 "$1" | tail -c 3)" = PNG ]
}

# _wd_tree PID: PID and its descendants, children first.
_wd_tree() {
	local c
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do _wd_tree "$c"; done
	echo "$1"
}

wd_stop() {
	local p pids
	if [ -n "$WD_SESSION" ]; then
		_wd_curl DELETE "/session/$WD_SESSION" >/dev/null 2>&1
		WD_SESSION=""
	fi
	if [ -n "$WD_PID" ]; then
		pids=$(_wd_tree "$WD_PID")
		for p in $pids; do kill -TERM "$p" 2>/dev/null; done
		wait "$WD_PID" 2>/dev/null
		for p in $pids; do kill -KILL "$p" 2>/dev/null; done
		WD_PID=""
	fi
	return 0
}
