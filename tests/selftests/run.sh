#!/bin/bash
# Build and run arena-stress' BPF selftests (progs/ + prog_tests/ pairs:
# arena_stress, the drop-in, and arena_fault_free, arena_reserve_fault and
# arena_free_reuse, self-contained in the kernel's style: the selftests of the
# fix series, findings/fix/) inside a real tools/testing/selftests/bpf tree.
#
# usage: tests/selftests/run.sh [--tree KERNEL_SRC] [--btf FILE] [--kernel-tests]
#                               [--vm BZIMAGE] [--check] [-- TEST_PROGS_ARGS...]
#   TEST_PROGS_ARGS with -t or -a: only those tests (default: the pairs, or with
#                   --kernel-tests every test it built)
#   --tree          a kernel source tree; default: Debian's linux-source-6.12,
#                   fetched (scripts/debian-fetch.sh) and unpacked under $AS_VM_CACHE
#   --btf           BTF for vmlinux.h (a vmlinux, or a raw BTF file); default:
#                   the running kernel's /sys/kernel/btf/vmlinux
#   --kernel-tests  also the tree's own arena tests: prog_tests/arena_*.c (but
#                   libarena*, which need the tree's libarena build) and the
#                   verifier_arena* tests of prog_tests/verifier.c (not its
#                   arena_kfunc*: they call kfuncs of the bpf_testmod module)
#   --vm            run test_progs in a VM with that kernel (a bzImage, or
#                   pkg:GLOB: a Debian kernel package; tests/vm/run.sh --plain)
#                   instead of on this host (AS_SELFTEST_VM_TIMEOUT s, 900)
#   --kconfig       with --vm: that kernel's .config (libbpf's __kconfig externs)
#   --check         only install the drop-in and compile both halves against the
#                   tree's headers and libbpf (what `make check` runs)
# Without --check it builds the smallest test_progs that holds the tests:
# the tree's own harness (test_progs.c and its helpers) and libbpf, with only
# these prog/test pairs (the full selftests build compiles ~800 BPF programs
# and test kernel modules), then runs ./test_progs -v on them and says what a
# failure means.  Exit: test_progs' own (0 pass, 1 fail), 2 set-up.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${AS_VM_CACHE:-$HOME/.cache/arena-stress}
TREE= CHECK=0 BTF=/sys/kernel/btf/vmlinux KTESTS=0 VM= KCONFIG=
while [ $# -gt 0 ]; do
	case $1 in
	--tree) TREE=$2; shift 2 ;;
	--btf) BTF=$2; shift 2 ;;
	--kernel-tests) KTESTS=1; shift ;;
	--vm) VM=$2; shift 2 ;;
	--kconfig) KCONFIG=$2; shift 2 ;;
	--check) CHECK=1; shift ;;
	--) shift; break ;;
	*) echo "selftest: unknown argument '$1' (see the header of $0)" >&2; exit 2 ;;
	esac
done
CLANG=${CLANG:-$(command -v clang-19 || command -v clang)}
for t in "$CLANG" bpftool make cc; do command -v "$t" >/dev/null || { echo "selftest: needs $t (make deps)" >&2; exit 2; }; done

if [ -z "$TREE" ]; then
	pkg=linux-source-6.12
	TREE=$CACHE/selftests/$pkg
	if [ ! -f "$TREE/tools/testing/selftests/bpf/test_progs.c" ]; then
		d=$CACHE/selftests/dl
		rm -rf "$d" && mkdir -p "$d"
		bash "$top/scripts/debian-fetch.sh" get "$pkg" "$d" >/dev/null
		dpkg-deb --fsys-tarfile "$d"/${pkg}_*.deb | tar -x -C "$d" ./usr/src/$pkg.tar.xz
		echo "selftest: unpacking $(ls "$d"/${pkg}_*.deb | xargs -n1 basename) (tools/, uapi headers)" >&2
		tar -xJf "$d/usr/src/$pkg.tar.xz" -C "$CACHE/selftests" "$pkg/tools" "$pkg/include/uapi" \
			"$pkg/arch/x86/include/uapi" "$pkg/scripts" "$pkg/Makefile" "$pkg/kernel/bpf"
		rm -rf "$d"
	fi
fi
ST=$TREE/tools/testing/selftests/bpf
[ -f "$ST/test_progs.c" ] || { echo "selftest: no BPF selftests in $TREE" >&2; exit 2; }
[ -r "$BTF" ] || { echo "selftest: no BTF at $BTF" >&2; exit 2; }
# one output directory per tree and BTF: vmlinux.h differs between kernels
OUT=${AS_SELFTEST_OUT:-$CACHE/selftests/out-$(basename "$TREE")-$(sha256sum "$BTF" | cut -c1-8)}
mkdir -p "$OUT/prog_tests" "$OUT/inc" "$OUT/libbpf"

# ---- install the pairs: arena_stress (its BPF side is arena-stress' own
# source) and the series' selftests (self-contained, in the kernel's style) ----
PAIRS="arena_stress arena_fault_free arena_free_reuse"
# arena_reserve_fault needs bpf_arena_reserve_pages() (6.17+): trees whose
# bpf_arena_common.h declares it
grep -qs bpf_arena_reserve_pages "$ST/bpf_arena_common.h" "$ST/libarena/include/bpf_arena_common.h" &&
	PAIRS="$PAIRS arena_reserve_fault"
for t in $PAIRS; do
	cp "$top/tests/selftests/progs/$t.c" "$ST/progs/"
	cp "$top/tests/selftests/prog_tests/$t.c" "$ST/prog_tests/"
done
mkdir -p "$ST/progs/arena_stress"
cp "$top/bpf/arena_stress.bpf.c" "$top/bpf/arena_stress.h" "$top/bpf/arena_bpf.h" "$ST/progs/arena_stress/"
echo "selftest: installed progs/ and prog_tests/ {${PAIRS// /,}}.c (+ progs/arena_stress/) in $ST"

# ---- the tree's libbpf and headers, vmlinux.h of the running kernel ----
if [ ! -f "$OUT/libbpf/libbpf.a" ]; then
	make -s -C "$TREE/tools/lib/bpf" OUTPUT="$OUT/libbpf/" "$OUT/libbpf/libbpf.a" >/dev/null
	make -s -C "$TREE/tools/lib/bpf" OUTPUT="$OUT/libbpf/" DESTDIR="$OUT/inc" prefix= install_headers >/dev/null
fi
# the tree's own bpftool for its own tests: its vmlinux.h declares the kfuncs
# as the tree's headers do (the arena's address space among them)
BPFTOOL=bpftool
if [ $KTESTS = 1 ]; then
	mkdir -p "$OUT/bpftool"
	[ -x "$OUT/bpftool/bpftool" ] || make -s -C "$TREE/tools/bpf/bpftool" OUTPUT="$OUT/bpftool/" >/dev/null 2>&1 ||
		{ echo "selftest: cannot build $TREE/tools/bpf/bpftool" >&2; exit 2; }
	BPFTOOL=$OUT/bpftool/bpftool
	[ "$OUT/inc/vmlinux.h" -nt "$OUT/bpftool/bpftool" ] || rm -f "$OUT/inc/vmlinux.h"
fi
[ -s "$OUT/inc/vmlinux.h" ] || $BPFTOOL btf dump file "$BTF" format c >"$OUT/inc/vmlinux.h"

# ---- the tree's own arena tests (--kernel-tests) ----
# prog_tests/arena_*.c but ours and libarena*, and a copy of prog_tests/
# verifier.c with only its arena tests (it includes ~150 skeletons)
TESTS=()
for t in $PAIRS; do TESTS+=("$ST/prog_tests/$t.c"); done
PROGS=$PAIRS
if [ $KTESTS = 1 ]; then
	for f in "$ST"/prog_tests/arena_*.c; do
		case " $PAIRS " in *" $(basename "$f" .c) "*) continue ;; esac
		TESTS+=("$f")
	done
	python3 - "$ST/prog_tests/verifier.c" >"$OUT/prog_tests/verifier_arena_only.c" <<'PY'
import re, sys
# the helpers of the tests left out are left unused
out, skip = ['#pragma GCC diagnostic ignored "-Wunused-function"'], False
for line in open(sys.argv[1]).read().split("\n"):
    m = re.match(r'#include "([a-z0-9_]+)\.skel\.h"', line)
    if m:
        if "arena" in m.group(1) and not m.group(1).startswith("arena_kfunc"):
            out.append(line)
        continue
    m = re.match(r'void (serial_)?test_([a-z0-9_]+)\(', line)
    if m:
        # arena_kfunc*: kfuncs of the bpf_testmod module, which these kernels lack
        keep = "arena" in m.group(2) and not m.group(2).startswith("arena_kfunc")
        skip = not keep and not line.rstrip().endswith("}")
        if keep:
            out.append(line)
        continue
    if skip:
        skip = line != "}"
        continue
    out.append(line)
print("\n".join(out))
PY
	TESTS+=("$OUT/prog_tests/verifier_arena_only.c")
	PROGS="$PROGS $(grep -ho '"[a-z0-9_]*\.skel\.h"' "${TESTS[@]}" | tr -d '"' | sed 's/\.skel\.h$//' |
		grep -vxE "$(tr ' ' '|' <<<"$PAIRS")" | sort -u | tr '\n' ' ')"
fi

# ---- BPF objects and skeletons, with the selftests' BPF_CFLAGS ----
# bpf_arena_common.h: in the selftests directory up to 6.x, in libarena/include in 7.x
sysinc=$("$CLANG" -v -E - </dev/null 2>&1 |
	sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')
for t in $PROGS; do
	# shellcheck disable=SC2086
	"$CLANG" -g -Wall -Werror -D__TARGET_ARCH_x86 -mlittle-endian -I"$OUT/inc" -I"$OUT/inc/include" -I"$ST" \
		-I"$ST/libarena/include" -I"$TREE/tools/include" -I"$TREE/tools/include/uapi" -std=gnu11 \
		-fno-strict-aliasing -fms-extensions -Wno-microsoft-anon-tag -Wno-compare-distinct-pointer-types -Wno-initializer-overrides \
		-DENABLE_ATOMICS_TESTS $sysinc -O2 --target=bpf -mcpu=v3 -c "$ST/progs/$t.c" -o "$OUT/$t.bpf.o"
	$BPFTOOL gen skeleton "$OUT/$t.bpf.o" name "$t" >"$OUT/$t.skel.h"
done

# ---- the tests, with the selftests' CFLAGS ----
CFLAGS="-g -O2 -rdynamic -std=gnu11 -D_GNU_SOURCE= -Wall -Werror -fno-omit-frame-pointer -Wno-unused-but-set-variable -I$OUT -I$ST -I$ST/libarena/include -I$OUT/inc/include
	-I$TREE/tools/include -I$TREE/tools/arch/x86/include -I$TREE/tools/include/uapi -I$TREE/tools/lib"
# only these tests in the harness's list (the Makefile's TEST-HDR rule, on these files)
: >"$OUT/prog_tests/tests.h"
objs=()
for f in "${TESTS[@]}"; do
	sed -n -E 's/^void (serial_)?test_([a-zA-Z0-9_]+)\((void)?\).*/DEFINE_TEST(\2)/p' "$f" >>"$OUT/prog_tests/tests.h"
	# shellcheck disable=SC2086
	cc $CFLAGS -c "$f" -o "$OUT/$(basename "$f" .c).test.o"
	objs+=("$OUT/$(basename "$f" .c).test.o")
done
echo "selftest: $(for f in "${TESTS[@]}"; do basename "$f" .c; done | paste -sd' ') compile against $(basename "$TREE")'s headers and libbpf"
[ $CHECK = 1 ] && exit 0

# ---- the smallest test_progs that holds it ----
# 7.x trees: test_progs.c includes verification_cert.h, which their Makefile
# generates from a key made by verify_sig_setup.sh (signed-program tests)
if grep -q verification_cert.h "$ST/test_progs.c" && [ ! -s "$OUT/verification_cert.h" ]; then
	command -v openssl >/dev/null || { echo "selftest: this tree needs openssl (verification_cert.h)" >&2; exit 2; }
	bash "$ST/verify_sig_setup.sh" genkey "$OUT" >/dev/null 2>&1 ||
		{ echo "selftest: verify_sig_setup.sh genkey failed" >&2; exit 2; }
	{ echo "unsigned char test_progs_verification_cert[] = {"
	  od -v -t 'xC' -w12 "$OUT/signing_key.der" | sed 's/ \(\S\+\)/ 0x\1,/g;s/^\S\+/ /;$d'
	  echo "};"
	  echo "unsigned int test_progs_verification_cert_len = $(wc -c <"$OUT/signing_key.der");"; } >"$OUT/verification_cert.h"
fi
helpers="test_progs.c cgroup_helpers.c trace_helpers.c network_helpers.c testing_helpers.c btf_helpers.c
	 cap_helpers.c unpriv_helpers.c netlink_helpers.c json_writer.c"
# the verifier's test loader and what it needs (disasm.c is the kernel's own)
[ $KTESTS = 1 ] && helpers="$helpers test_loader.c disasm_helpers.c jit_disasm_helpers.c io_helpers.c
	sysctl_helpers.c $TREE/kernel/bpf/disasm.c $TREE/tools/lib/find_bit.c"
# The small VM kernels (tests/kernel/base.config) have no network namespaces
# and no "asymmetric" key type, and test_progs exits at set-up without them:
# silently (7.x) when add_key() fails for its signed-program session key, and
# when it cannot save its net namespace around each test.  None of these
# tests signs a program or uses a network namespace, so a copy of
# test_progs.c only warns about the first and skips the namespace save and
# restore where there are none.
python3 - "$ST/test_progs.c" >"$OUT/test_progs.c" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
s, n = re.subn(r"(err = register_session_key\([^;]*\);\n\tif \(err < 0\))\n\t\treturn err;",
              r'\1\n\t\tfprintf(stderr, "WARNING! no session key for signed programs (add_key: %s)\\n", strerror(errno));', s)
assert n <= 1
s, n = re.subn(r'(static void save_netns\(void\)\n\{\n)',
              r'\1\tif (access("/proc/self/ns/net", F_OK)) {\n\t\tenv.saved_netns_fd = -1;\n\t\treturn;\n\t}\n', s)
assert n == 1, "save_netns() not found as expected"
s, n = re.subn(r'(static void restore_netns\(void\)\n\{\n)', r'\1\tif (env.saved_netns_fd == -1)\n\t\treturn;\n', s)
assert n == 1, "restore_netns() not found as expected"
print(s, end="")
PY
helpers=${helpers/test_progs.c/$OUT/test_progs.c}
for src in $helpers; do
	case $src in /*) ;; *) src=$ST/$src ;; esac
	[ -f "$src" ] || continue
	# the tree's harness, not under test: this gcc warns where the tree's did not
	# shellcheck disable=SC2086
	cc ${CFLAGS/-Werror/} -c "$src" -o "$OUT/$(basename "${src%.c}").o"
	objs+=("$OUT/$(basename "${src%.c}").o")
done
cc -rdynamic -o "$OUT/test_progs" "${objs[@]}" "$OUT/libbpf/libbpf.a" -lelf -lz -lrt -lpthread
echo "selftest: built $OUT/test_progs"
# the same, static, for a VM's initramfs (--vm)
cc -static -o "$OUT/test_progs-static" "${objs[@]}" "$OUT/libbpf/libbpf.a" -lelf -lz -lzstd -lrt -lpthread \
	2>/dev/null && echo "selftest: built $OUT/test_progs-static"
# what a failure of the series' selftests means
explain() {
	grep -q "arena_reserve_fault:FAIL" "$1" &&
		echo "selftest: arena_reserve_fault FAILED on $2: a user fault on a reserved page whose allocation fails
          releases the page (findings/04; fixed by findings/fix/0001)"
	grep -q "arena_free_reuse:FAIL" "$1" &&
		echo "selftest: arena_free_reuse FAILED on $2: a freed range is re-allocated before the free's TLB
          flush and zap (findings/05; fixed by findings/fix/0002)"
	return 0
}
cd "$OUT"
set +e
filter=(-t "${PAIRS// /,}")
[ $KTESTS = 1 ] && filter=()	# every test this test_progs holds
for a in "$@"; do case $a in -t|-a) filter=() ;; esac; done	# the caller's choice
if [ -n "$VM" ]; then
	# as /test_progs: a '-' in its name would be taken for a flavour directory
	[ -s "$OUT/test_progs-static" ] || { echo "selftest: no static test_progs for the VM" >&2; exit 2; }
	mkdir -p "$OUT/vm" && cp "$OUT/test_progs-static" "$OUT/vm/test_progs"
	# a bzImage, or pkg:GLOB for a Debian kernel package (tests/vm/run.sh --kernel-pkg)
	case $VM in pkg:*) kern=(--kernel-pkg "${VM#pkg:}") ;; *) kern=(--kernel "$VM") ;; esac
	bash "$top/tests/vm/run.sh" --plain "$OUT/vm/test_progs" "${kern[@]}" --timeout "${AS_SELFTEST_VM_TIMEOUT:-900}" \
		${KCONFIG:+--kconfig "$KCONFIG"} -- \
		"${filter[@]}" -v "$@" >"$OUT/test_progs.log" 2>&1
	rc=$?
	cat "$OUT/test_progs.log"
	# 10: the kernel crashed, 11: no result in time, 12: no boot (tests/vm/run.sh)
	[ $rc -ge 10 ] && echo "selftest: the VM gave no verdict (exit $rc)"
	[ $rc = 11 ] && echo "selftest: test_progs hung in the VM: threads of it stuck in the kernel (findings/02)?"
	if grep -q "fault_free:FAIL\|arena_fault_free:FAIL" "$OUT/test_progs.log"; then
		echo "selftest: fault_free FAILED on $(basename "${VM#pkg:}"): this kernel has the fault-vs-free bug"
		echo "          (findings/01 and 02)"
	fi
	explain "$OUT/test_progs.log" "$(basename "${VM#pkg:}")"
	exit $rc
fi
# In the background, into a file: a race that meets finding 2 on a kernel that
# has it leaves threads in D state for good, and such a process can never be
# waited for (its leader stays a zombie); a pipe would stay open with it.
./test_progs "${filter[@]}" -v "$@" >"$OUT/test_progs.log" 2>&1 &
tp=$!
stuck=0
for _ in $(seq 1 1200); do	# at most 120 s: the tests are bounded at a few seconds each
	st=$(awk '{print $3}' "/proc/$tp/stat" 2>/dev/null) || break	# gone: reaped below
	[ "$st" = Z ] && { stuck=1; break; }	# exited, but threads of it are left in the kernel
	sleep 0.1
done
[ -n "$st" ] && [ "$st" != Z ] && stuck=1	# still running at the bound
cat "$OUT/test_progs.log"
if [ $stuck = 1 ]; then
	echo "selftest: test_progs (pid $tp) has threads stuck in the kernel and cannot be waited for:"
	echo "          a fault waiting for the lock of a page freed while locked (findings/02); the"
	echo "          log above is what it printed"
	rc=1
else
	wait "$tp"; rc=$?
fi
if grep -q "fault_free:FAIL\|arena_fault_free:FAIL" "$OUT/test_progs.log"; then
	echo "selftest: fault_free FAILED on $(uname -r): this kernel has the fault-vs-free bug (a fault"
	echo "          racing bpf_arena_free_pages() leaves a user PTE on a freed page): the test is"
	echo "          right to fail; see findings/01-fault-vs-free-orphaned-pte.md"
fi
explain "$OUT/test_progs.log" "$(uname -r)"
exit $rc
