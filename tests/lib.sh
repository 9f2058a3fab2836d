# Helpers for the integration tests (sourced).  Exit 0 pass, 1 fail, 77 skip.
set -u
cd "$(dirname "$0")/.." || exit 1
AS=./arena-stress
TMP=$(mktemp -d /tmp/as-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
FAILS=0

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
skip() { echo "SKIP: $*"; exit 77; }
check() { # check "description" command...
	local what=$1; shift
	if "$@"; then echo "ok: $what"; else fail "$what"; fi
}
done_test() { [ "$FAILS" -eq 0 ] && { echo PASS; exit 0; }; echo "FAIL ($FAILS)"; exit 1; }

# needs_arena: skip unless root on a kernel with BPF arena support.
needs_arena() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	local why
	why=$($AS --list 2>&1 | sed -n 's/^ *reason: //p' | head -1)
	$AS --list | grep -q '^fault-free *runs' || skip "no BPF arena here: $why"
}

# jq-like access with python3: json FILE 'expression using d'
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
