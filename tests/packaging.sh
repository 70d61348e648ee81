#!/bin/bash
# SPDX-License-Identifier: MIT
# The Debian packages (issue 12): build them from a copy of the tree
# (dpkg-buildpackage -us -uc -b, two jobs, no test run), check what each
# .deb holds, run lintian (no errors), install them on this machine
# (apt-get install ./*.deb), check the daemon, the command, the lanyard user, the conffile,
# the enabled unit and its sandbox score, run the installed daemon as the
# lanyard user, then purge them and leave the machine as it was found.
# Needs root and dpkg's tools (scripts/install-deps); LANYARD_SKIP_ROOT_TESTS=1
# (make distcheck) skips it.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
export LC_ALL=C
PKGS="lanyard liblanyard1 liblanyard-dev libnss-lanyard"
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
log() { printf '# %s %s\n' "$(date +%T)" "$*"; }

[ "${LANYARD_SKIP_ROOT_TESTS:-}" = 1 ] && skip "LANYARD_SKIP_ROOT_TESTS=1 (make distcheck): installs packages as root"
[ "$(id -u)" = 0 ] || skip "needs root (installs and purges the packages)"
for c in dpkg-buildpackage dh lintian dpkg-deb systemd-sysusers; do
	command -v "$c" >/dev/null || skip "'$c' not installed (scripts/install-deps)"
done

# Never touch an installation that was here before.
# state PKG: dpkg's word for it (not-installed, installed, config-files...).
state() {
	local st
	st=$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)
	echo "${st:-not-installed}"
}
for p in $PKGS; do
	[ "$(state "$p")" = not-installed ] || fail "package $p is on this machine ($(state "$p")): purge it first"
done
for f in /usr/sbin/lanyardd /usr/bin/lanyard /etc/lanyard/lanyard.yaml; do
	[ -e "$f" ] && fail "$f exists outside any package (make install?): this test would replace it"
done
had_user=0
getent passwd lanyard >/dev/null && had_user=1
had_group=0
getent group lanyard >/dev/null && had_group=1
had_run=0
[ -e /run/lanyard ] && had_run=1
# libnss-lanyard edits /etc/nsswitch.conf: it must be back as it was.
nss_before=$(cat /etc/nsswitch.conf 2>/dev/null)

T=$(mktemp -d) || exit 1
installed=0
pid=""
cleanup() {
	local rc=$?
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	if [ "$installed" = 1 ]; then
		dpkg --purge $PKGS </dev/null >"$T/purge-on-exit.log" 2>&1 || cat "$T/purge-on-exit.log"
	fi
	# A lanyard user left behind changes no test (agent.user has no
	# default), but the machine must be as found: say so, and fail.
	if [ "$had_user" = 0 ] && getent passwd lanyard >/dev/null && ! userdel lanyard >"$T/userdel.log" 2>&1; then
		echo "FAIL: userdel lanyard: $(cat "$T/userdel.log"); processes: $(ps -u lanyard -o pid=,args= 2>/dev/null | tr '\n' ';')"
		rc=1
	fi
	if [ "$had_group" = 0 ] && getent group lanyard >/dev/null && ! groupdel lanyard >"$T/groupdel.log" 2>&1; then
		echo "FAIL: groupdel lanyard: $(cat "$T/groupdel.log")"
		rc=1
	fi
	[ "$had_run" = 0 ] && [ -d /run/lanyard ] && rmdir /run/lanyard 2>/dev/null
	if [ "$(cat /etc/nsswitch.conf 2>/dev/null)" != "$nss_before" ]; then
		echo "# restoring /etc/nsswitch.conf"
		printf '%s\n' "$nss_before" >/etc/nsswitch.conf
	fi
	rm -rf "$T"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- a copy of the tree ------------------------------------------------------------
# Git's files (committed or not, less the ignored) in a checkout, else the
# unpacked tarball's, less build directories.
S=$T/lanyard-0.1.0
mkdir -p "$S"
if git -C "$top_srcdir" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$top_srcdir" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf - | tar -xf - -C "$S") || fail "cannot copy the tree"
else
	(cd "$top_srcdir" && tar cf - --exclude='./_build' --exclude='./build*' --exclude='./_inst' .) |
		(cd "$S" && tar xf -) || fail "cannot copy the tree"
fi
[ -x "$S/debian/rules" ] || fail "no debian/rules in the copy"

# --- build ---------------------------------------------------------------------------
log "dpkg-buildpackage -us -uc -b"
t0=$(date +%s)
(cd "$S" && DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b) \
	</dev/null >"$T/build.log" 2>&1 || { tail -n 60 "$T/build.log"; fail "dpkg-buildpackage failed"; }
log "built in $(($(date +%s) - t0)) s"
arch=$(dpkg --print-architecture)
ver=$(cd "$S" && dpkg-parsechangelog -S Version)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
for p in $PKGS; do
	[ -f "$T/${p}_${ver}_${arch}.deb" ] || fail "no ${p}_${ver}_${arch}.deb: $(ls "$T")"
done

# --- contents ----------------------------------------------------------------------------
# contains DEB PATH...: each PATH is in the package (dpkg-deb -c).
contains() {
	local deb=$T/${1}_${ver}_${arch}.deb list f
	shift
	list=$(dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|; s|/$||')
	for f in "$@"; do
		grep -qx -- "$f" <<<"$list" || fail "$(basename "$deb") lacks $f"
	done
}
contains lanyard /usr/sbin/lanyardd /usr/bin/lanyard /etc/lanyard/lanyard.yaml \
	/lib/systemd/system/lanyardd.service /usr/lib/sysusers.d/lanyard.conf \
	/usr/lib/tmpfiles.d/lanyard.conf /usr/share/bash-completion/completions/lanyard \
	/usr/share/man/man1/lanyard.1.gz /usr/share/man/man5/lanyard.yaml.5.gz \
	/usr/share/man/man8/lanyardd.8.gz /usr/share/doc/lanyard/copyright
so=$(dpkg-deb -c "$T/liblanyard1_${ver}_${arch}.deb" | awk '{ print $6 }' | grep -o 'liblanyard\.so\.1\.[0-9.]*$')
[ -n "$so" ] || fail "liblanyard1 holds no liblanyard.so.1.*"
contains liblanyard1 "/usr/lib/$multiarch/liblanyard.so.1" "/usr/lib/$multiarch/$so"
contains liblanyard-dev /usr/include/lanyard.h "/usr/lib/$multiarch/liblanyard.so" \
	"/usr/lib/$multiarch/pkgconfig/lanyard.pc"
contains libnss-lanyard "/usr/lib/$multiarch/libnss_lanyard.so.2"
for p in $PKGS; do
	echo "# $p: $(dpkg-deb -c "$T/${p}_${ver}_${arch}.deb" | awk '$1 !~ /^d/ { print $6 }' | sed 's|^\./|/|' | tr '\n' ' ')"
done
dpkg-deb --ctrl-tarfile "$T/lanyard_${ver}_${arch}.deb" | tar xOf - ./conffiles >"$T/conffiles"
grep -qx /etc/lanyard/lanyard.yaml "$T/conffiles" || fail "lanyard.yaml is not a conffile: $(cat "$T/conffiles")"
dpkg-deb -f "$T/lanyard_${ver}_${arch}.deb" Depends | grep -q avahi-daemon || fail "lanyard does not depend on avahi-daemon"

# --- lintian -------------------------------------------------------------------------------
log "lintian"
lintian --tag-display-limit 0 --display-info "$T"/lanyard_"${ver}"_"${arch}".changes >"$T/lintian.log" 2>&1
sed 's/^/# lintian: /' "$T/lintian.log"
grep -q '^E: ' "$T/lintian.log" && fail "lintian reports errors"

# --- install ---------------------------------------------------------------------------------
# As the README says: apt-get install ./*.deb (every dependency is already
# here; wait for dpkg's lock rather than fail when someone else holds it).
export DEBIAN_FRONTEND=noninteractive
apt_get() { apt-get -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 "$@" </dev/null; }
log "apt-get install ./*.deb"
installed=1
apt_get install "$T"/lanyard_"${ver}"_"${arch}".deb "$T"/liblanyard1_"${ver}"_"${arch}".deb \
	"$T"/liblanyard-dev_"${ver}"_"${arch}".deb "$T"/libnss-lanyard_"${ver}"_"${arch}".deb \
	>"$T/install.log" 2>&1 ||
	{ cat "$T/install.log"; fail "apt-get install of the .debs failed"; }
# Nothing else came with them.
newly=$(sed -n 's/^Unpacking \([^ :]*\).*/\1/p' "$T/install.log" | sort | tr '\n' ' ')
[ "$newly" = "lanyard liblanyard-dev liblanyard1 libnss-lanyard " ] || { cat "$T/install.log"; fail "apt-get installed: $newly"; }
[ "$(lanyardd --version)" = "lanyardd ${ver%-*}" ] || fail "lanyardd --version: $(lanyardd --version)"
lanyard --help | grep -q '^Usage: lanyard' || fail "lanyard --help"
[ "$(command -v lanyardd)" = /usr/sbin/lanyardd ] || fail "lanyardd is $(command -v lanyardd)"
getent passwd lanyard >/dev/null || fail "no lanyard user after install"
getent group lanyard >/dev/null || fail "no lanyard group after install"
echo "# user: $(getent passwd lanyard)"
dpkg-query -W -f='${Conffiles}\n' lanyard | grep -q '/etc/lanyard/lanyard.yaml' || fail "lanyard.yaml not a conffile"
lanyardd --check-config >/dev/null || fail "lanyardd --check-config on the installed default: $(lanyardd --check-config 2>&1)"
[ -L /etc/systemd/system/multi-user.target.wants/lanyardd.service ] || fail "lanyardd.service is not enabled"
pkg-config --modversion lanyard >/dev/null || fail "pkg-config lanyard"
# libnss-lanyard is the opt-in to names under .lanyard: "lanyard" on the
# hosts line, and with no agent running a lookup fails at once.
grep -Eq '^hosts:.*[[:space:]]lanyard([[:space:]]|$)' /etc/nsswitch.conf ||
	fail "libnss-lanyard did not enable itself: $(grep '^hosts:' /etc/nsswitch.conf)"
echo "# nsswitch.conf: $(grep '^hosts:' /etc/nsswitch.conf)"
rc=0
timeout 10 getent hosts payments.lanyard >/dev/null || rc=$?
[ "$rc" = 2 ] || fail "getent hosts payments.lanyard with no agent: exit $rc (want 2)"
UNIT=/lib/systemd/system/lanyardd.service bash "$top_srcdir/tests/packaging-unit.sh" ||
	fail "the installed unit's sandbox"

# The installed daemon as its user: a socket in a directory of its own,
# no avahi-daemon (a bus that does not exist), status answered.
mkdir -m 0755 "$T/run" && chown lanyard:lanyard "$T/run" && chmod 0711 "$T"
setpriv --reuid="$(id -u lanyard)" --regid="$(id -g lanyard)" --init-groups -- env DBUS_SYSTEM_BUS_ADDRESS=unix:path=$T/no-bus \
	lanyardd -f --socket "$T/run/l.sock" </dev/null >"$T/agent.log" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -S "$T/run/l.sock" ] && break; sleep 0.1; done
lanyard --socket "$T/run/l.sock" status >"$T/status" 2>&1 || fail "status from the installed lanyardd: $(cat "$T/status" "$T/agent.log")"
[ "$(stat -c %U "$T/run/l.sock")" = lanyard ] || fail "socket owned by $(stat -c %U "$T/run/l.sock")"
kill "$pid" && wait "$pid"
rc=$?
pid=""
[ "$rc" = 0 ] || fail "lanyardd exited $rc on SIGTERM: $(cat "$T/agent.log")"

# --- purge ---------------------------------------------------------------------------------
log "apt-get purge"
apt_get purge $PKGS >"$T/purge.log" 2>&1 || { cat "$T/purge.log"; fail "apt-get purge failed"; }
installed=0
for p in $PKGS; do
	[ "$(state "$p")" = not-installed ] || fail "$p is $(state "$p") after purge"
done
[ "$(cat /etc/nsswitch.conf)" = "$nss_before" ] ||
	fail "/etc/nsswitch.conf is not back as it was after purge: $(grep '^hosts:' /etc/nsswitch.conf)"
for f in /etc/lanyard /usr/sbin/lanyardd /etc/systemd/system/multi-user.target.wants/lanyardd.service; do
	[ -e "$f" ] || [ -L "$f" ] && fail "$f is left after purge"
done
# Debian policy keeps the user and group after a purge (files may still
# be theirs); the EXIT trap removes them when this test made them.
getent passwd lanyard >/dev/null && echo "# the lanyard user stays after purge (policy); removed by the test"
echo "PASS: lanyard, liblanyard1, liblanyard-dev and libnss-lanyard build, pass lintian, install and purge"
