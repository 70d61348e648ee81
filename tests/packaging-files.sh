#!/bin/bash
# SPDX-License-Identifier: MIT
# What `make install` lays out (issue 12), into a DESTDIR: programs, the
# library with its soname, header, pkg-config file, man pages, unit,
# sysusers.d and tmpfiles.d entries, bash completion and the default
# configuration, which a second install keeps once changed and uninstall
# removes only while it is still the default. Also: the installed daemon
# accepts the default configuration, every key of docs/config.md is in
# lanyard.yaml(5), and the completion knows every command and option of
# `lanyard --help`. No root needed.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
fail() { echo "FAIL: $*"; exit 1; }
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
D=$T/dest
# A make of our own, not a job of the make running the tests.
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" "$@"; }

eval "$(mk print-install-dirs)" || fail "make print-install-dirs"
echo "# prefix $prefix"
mk install DESTDIR="$D" >"$T/install.log" 2>&1 || { cat "$T/install.log"; fail "make install DESTDIR"; }

# --- the files --------------------------------------------------------------
want=(
	"$sbindir/lanyardd" "$bindir/lanyard"
	"$libdir/liblanyard.so" "$includedir/lanyard.h" "$pkgconfigdir/lanyard.pc"
	"$mandir/man1/lanyard.1" "$mandir/man5/lanyard.yaml.5" "$mandir/man8/lanyardd.8"
	"$lanyardconfdir/lanyard.yaml"
)
[ "$systemdsystemunitdir" = no ] || want+=("$systemdsystemunitdir/lanyardd.service")
[ "$sysusersdir" = no ] || want+=("$sysusersdir/lanyard.conf")
[ "$tmpfilesdir" = no ] || want+=("$tmpfilesdir/lanyard.conf")
[ "$bashcompletiondir" = no ] || want+=("$bashcompletiondir/lanyard")
for f in "${want[@]}"; do
	[ -e "$D$f" ] || fail "make install did not install $f"
	echo "# installed $f"
done
[ -x "$D$sbindir/lanyardd" ] && [ -x "$D$bindir/lanyard" ] || fail "programs not executable"

# The library: a real soname, the .so a link to it.
soname=$(readelf -d "$D$libdir/liblanyard.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
case $soname in liblanyard.so.[0-9]*) ;; *) fail "liblanyard.so has soname '$soname'" ;; esac
[ -e "$D$libdir/$soname" ] || fail "no $libdir/$soname"
[ -L "$D$libdir/liblanyard.so" ] || fail "liblanyard.so is not a symbolic link"
echo "# soname $soname"
# Only the public API leaves the library.
bad=$(nm -D --defined-only "$D$libdir/$soname" | awk '$2 ~ /^[TDBR]$/ && $3 !~ /^lanyard_/ { print $3 }')
[ -z "$bad" ] || fail "liblanyard exports more than lanyard_*: $bad"

# The unit runs the installed daemon as the lanyard user.
if [ "$systemdsystemunitdir" != no ]; then
	u=$D$systemdsystemunitdir/lanyardd.service
	grep -qx "ExecStart=$sbindir/lanyardd --foreground" "$u" || fail "unit: $(grep ExecStart "$u")"
	grep -qx "User=lanyard" "$u" || fail "unit: no User=lanyard"
	grep -Eq '@[a-z_]+@' "$u" && fail "unit: unsubstituted: $(grep -E '@[a-z_]+@' "$u")"
fi
[ "$sysusersdir" = no ] || grep -q '^u lanyard ' "$D$sysusersdir/lanyard.conf" || fail "sysusers.d: no lanyard user"
[ "$tmpfilesdir" = no ] || grep -q '^d /run/lanyard ' "$D$tmpfilesdir/lanyard.conf" || fail "tmpfiles.d: no /run/lanyard"

# The default configuration is valid as shipped, for the installed daemon.
out=$(LD_LIBRARY_PATH=$D$libdir "$D$sbindir/lanyardd" --check-config -c "$D$lanyardconfdir/lanyard.yaml" 2>&1) ||
	fail "the default configuration: $out"
echo "# $out"

# --- a second install keeps the operator's file --------------------------------
echo "services: []  # mine" >>"$D$lanyardconfdir/lanyard.yaml"
cp "$D$lanyardconfdir/lanyard.yaml" "$T/mine.yaml"
mk install DESTDIR="$D" >"$T/install2.log" 2>&1 || { cat "$T/install2.log"; fail "second make install"; }
cmp -s "$T/mine.yaml" "$D$lanyardconfdir/lanyard.yaml" || fail "a second make install overwrote lanyard.yaml"
grep -q "keeping" "$T/install2.log" || fail "the second install did not say it kept lanyard.yaml"

# --- uninstall: everything but a changed configuration --------------------------
mk uninstall DESTDIR="$D" >"$T/uninstall.log" 2>&1 || { cat "$T/uninstall.log"; fail "make uninstall"; }
left=$(cd "$D" && find . -type f -o -type l | sed 's|^\.||' | sort)
[ "$left" = "$lanyardconfdir/lanyard.yaml" ] || fail "after uninstall (changed config) left: $left"
rm -rf "$D"
mk install DESTDIR="$D" >/dev/null 2>&1 && mk uninstall DESTDIR="$D" >/dev/null 2>&1 || fail "install + uninstall"
left=$(cd "$D" && find . -type f -o -type l)
[ -z "$left" ] || fail "after install + uninstall left: $left"

# --- lanyard.yaml(5) covers docs/config.md ----------------------------------------
# Every key of the reference's tables (| `key` | ...) is a tagged item there.
man5=$top_srcdir/man/lanyard.yaml.5
missing=""
for k in $(sed -n 's/^| `\([a-z_]*\)` |.*/\1/p' "$top_srcdir/docs/config.md" | sort -u); do
	grep -Eq "^\.(BR?|BI) $k( |:|$)" "$man5" || missing="$missing $k"
done
[ -z "$missing" ] || fail "keys of docs/config.md missing from lanyard.yaml(5):$missing"
if command -v man >/dev/null; then
	w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$man5" 2>&1 >/dev/null)
	[ -z "$w" ] || fail "lanyard.yaml(5): $w"
fi

# --- bash completion knows lanyard's commands and options -----------------------
comp=$top_srcdir/dist/bash-completion/lanyard
bash -n "$comp" || fail "bash completion: syntax"
help=$("$top_builddir/client/lanyard" --help) || fail "lanyard --help"
cmds=$(sed -n '/^Commands:/,/^$/p' <<<"$help" | awk '/^  [a-z]/ { print $1 }')
[ -n "$cmds" ] || fail "no commands in lanyard --help"
opts=$(grep -o -- '--[a-z][a-z-]*' <<<"$help" | sort -u)
for w in $cmds $opts; do
	grep -q -- "$w" "$comp" || fail "bash completion lacks '$w' (lanyard --help has it)"
done
# And it completes them, where bash-completion is installed.
if [ -r /usr/share/bash-completion/bash_completion ]; then
	got=$(bash -c '. /usr/share/bash-completion/bash_completion; . "$1"
		COMP_WORDS=(lanyard re); COMP_CWORD=1; COMP_LINE="lanyard re"; COMP_POINT=10
		_lanyard; echo "${COMPREPLY[*]}"
		COMP_WORDS=(lanyard resolve x --po); COMP_CWORD=3; COMP_LINE="lanyard resolve x --po"; COMP_POINT=23
		_lanyard; echo "${COMPREPLY[*]}"
		COMP_WORDS=(lanyard maint web o); COMP_CWORD=3; COMP_LINE="lanyard maint web o"; COMP_POINT=19
		_lanyard; echo "${COMPREPLY[*]}"' _ "$comp" 2>&1)
	[ "$got" = "$(printf 'resolve report register\n--policy\non off')" ] || fail "completion gave: $got"
fi
echo "PASS: make install lays out ${#want[@]} files, keeps a changed lanyard.yaml, uninstalls cleanly"
