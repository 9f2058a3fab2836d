#!/bin/bash
# Download a Debian package from any suite the project uses (bookworm and its
# backports/security, trixie-backports, sid) without touching the system's
# apt sources: a private sources list, lists dir and cache under $AS_VM_CACHE.
#
# usage: scripts/debian-fetch.sh list GLOB       newest package name matching GLOB
#        scripts/debian-fetch.sh get NAME DIR    download NAME's .deb into DIR
# GLOB is a shell pattern (* and ? only): every other character is itself,
# so an exact name such as linux-image-6.12.118+deb12-cloud-amd64 matches.
# Exit codes: 0 done, 1 no package matches GLOB (list), 2 apt failed.
# The mirror and keyring are the machine's own bookworm source's.
# Callers at once (two VM runners) take turns: the private apt state (lists,
# cache, sources) is locked for the whole call, as apt itself would refuse a
# second user with "Could not get lock".
set -euo pipefail
CACHE=${AS_VM_CACHE:-$HOME/.cache/arena-stress}
A=$CACHE/apt
mkdir -p "$A/lists/partial" "$A/cache/archives/partial"
exec 9>>"$A/.lock"
flock 9
src=$(grep -rhs -A4 '^Types: deb' /etc/apt/sources.list.d/*.sources | awk '/^URIs:/ && !/security/ {print $2; exit}')
sec=$(grep -rhs '^URIs:.*security' /etc/apt/sources.list.d/*.sources | awk '{print $2; exit}')
key=$(grep -rhs '^Signed-By:' /etc/apt/sources.list.d/*.sources | awk '{print $2; exit}')
[ -n "$src" ] || src=$(awk '/^deb / && !/security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
[ -n "$src" ] || { echo "debian-fetch: no Debian mirror in /etc/apt/sources.list*" >&2; exit 2; }
key=${key:-/usr/share/keyrings/debian-archive-keyring.gpg}
{
	for s in sid trixie-backports bookworm bookworm-backports; do
		echo "deb [signed-by=$key] $src $s main"
	done
	[ -n "$sec" ] && echo "deb [signed-by=$key] $sec bookworm-security main"
} >"$A/sources.list.new"
O=(-o Dir::Etc::SourceList="$A/sources.list" -o Dir::Etc::SourceParts=/dev/null
   -o Dir::State::Lists="$A/lists" -o Dir::Cache="$A/cache" -o APT::Architecture=amd64
   -o APT::Sandbox::User=root)
# refresh the lists when the sources changed, else at most once a day
if ! cmp -s "$A/sources.list.new" "$A/sources.list" ||
   [ -z "$(find "$A/lists" -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
	mv "$A/sources.list.new" "$A/sources.list"
	apt-get "${O[@]}" update -qq >&2 || { echo "debian-fetch: apt-get update failed" >&2; exit 2; }
fi
rm -f "$A/sources.list.new"
case ${1:-} in
list)
	[ -n "${2:-}" ] || { echo "usage: $0 list GLOB" >&2; exit 2; }
	names=$(apt-cache "${O[@]}" pkgnames) || { echo "debian-fetch: apt-cache failed" >&2; exit 2; }
	# the glob as an anchored ERE: every character but * and ? escaped
	re=$(sed 's/[][\.^$+(){}|]/\\&/g; s/\*/.*/g; s/?/./g' <<<"$2")
	name=$(grep -xE -- "$re" <<<"$names" | grep -v -- '-unsigned$\|-dbg$' | sort -V | tail -1) || true
	[ -n "$name" ] || exit 1
	echo "$name" ;;
get)
	[ -n "${2:-}" ] && [ -n "${3:-}" ] || { echo "usage: $0 get NAME DIR" >&2; exit 2; }
	mkdir -p "$3"
	(cd "$3" && apt-get "${O[@]}" download -q "$2" >&2) || exit 2 ;;
*)
	echo "usage: $0 list GLOB | get NAME DIR" >&2; exit 2 ;;
esac
