#!/bin/bash
# Build and run arena-stress' drop-in BPF selftest (progs/arena_stress.c +
# prog_tests/arena_stress.c) inside a real tools/testing/selftests/bpf tree.
#
# usage: tests/selftests/run.sh [--tree KERNEL_SRC] [--check] [-- TEST_PROGS_ARGS...]
#   --tree   a kernel source tree; default: Debian's linux-source-6.12, fetched
#            (scripts/debian-fetch.sh) and unpacked under $AS_VM_CACHE
#   --check  only install the drop-in and compile both halves against the
#            tree's headers and libbpf (what `make check` runs)
# Without --check it builds the smallest test_progs that holds the new test:
# the tree's own harness (test_progs.c and its helpers) and libbpf, with only
# the arena_stress prog/test pair (the full selftests build compiles ~800 BPF
# programs and test kernel modules), then runs ./test_progs -t arena_stress -v
# and says what a failure means.  Exit: test_progs' own (0 pass, 1 fail), 2 set-up.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${AS_VM_CACHE:-$HOME/.cache/arena-stress}
TREE= CHECK=0
while [ $# -gt 0 ]; do
	case $1 in
	--tree) TREE=$2; shift 2 ;;
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
OUT=${AS_SELFTEST_OUT:-$CACHE/selftests/out-$(basename "$TREE")}
mkdir -p "$OUT/prog_tests" "$OUT/inc" "$OUT/libbpf"

# ---- install the pairs: arena_stress (its BPF side is arena-stress' own
# source) and arena_fault_free (self-contained, in the kernel's style) ----
PAIRS="arena_stress arena_fault_free"
cp "$top/tests/selftests/progs/arena_stress.c" "$top/tests/selftests/progs/arena_fault_free.c" "$ST/progs/"
mkdir -p "$ST/progs/arena_stress"
cp "$top/bpf/arena_stress.bpf.c" "$top/bpf/arena_stress.h" "$ST/progs/arena_stress/"
cp "$top/tests/selftests/prog_tests/arena_stress.c" "$top/tests/selftests/prog_tests/arena_fault_free.c" "$ST/prog_tests/"
echo "selftest: installed progs/{arena_stress,arena_fault_free}.c (+ progs/arena_stress/) and prog_tests/{arena_stress,arena_fault_free}.c in $ST"

# ---- the tree's libbpf and headers, vmlinux.h of the running kernel ----
if [ ! -f "$OUT/libbpf/libbpf.a" ]; then
	make -s -C "$TREE/tools/lib/bpf" OUTPUT="$OUT/libbpf/" "$OUT/libbpf/libbpf.a" >/dev/null
	make -s -C "$TREE/tools/lib/bpf" OUTPUT="$OUT/libbpf/" DESTDIR="$OUT/inc" prefix= install_headers >/dev/null
fi
[ -s "$OUT/inc/vmlinux.h" ] || bpftool btf dump file /sys/kernel/btf/vmlinux format c >"$OUT/inc/vmlinux.h"

# ---- BPF objects and skeletons, with the selftests' BPF_CFLAGS ----
# bpf_arena_common.h: in the selftests directory up to 6.x, in libarena/include in 7.x
for t in $PAIRS; do
	"$CLANG" -g -Wall -Werror -D__TARGET_ARCH_x86 -mlittle-endian -I"$OUT/inc" -I"$OUT/inc/include" -I"$ST" \
		-I"$ST/libarena/include" -I"$TREE/tools/include/uapi" -Wno-compare-distinct-pointer-types -O2 \
		--target=bpf -c "$ST/progs/$t.c" -o "$OUT/$t.bpf.o"
	bpftool gen skeleton "$OUT/$t.bpf.o" name "$t" >"$OUT/$t.skel.h"
done

# ---- the tests, with the selftests' CFLAGS ----
CFLAGS="-g -O2 -rdynamic -Wall -Werror -fno-omit-frame-pointer -I$OUT -I$ST -I$OUT/inc/include
	-I$TREE/tools/include -I$TREE/tools/arch/x86/include -I$TREE/tools/include/uapi -I$TREE/tools/lib"
# only our tests in the harness's list (the Makefile's TEST-HDR rule, on our files)
: >"$OUT/prog_tests/tests.h"
for t in $PAIRS; do
	sed -n -E 's/^void (serial_)?test_([a-zA-Z0-9_]+)\((void)?\).*/DEFINE_TEST(\2)/p' \
		"$ST/prog_tests/$t.c" >>"$OUT/prog_tests/tests.h"
	# shellcheck disable=SC2086
	cc $CFLAGS -c "$ST/prog_tests/$t.c" -o "$OUT/$t.test.o"
done
echo "selftest: $PAIRS compile against $(basename "$TREE")'s headers and libbpf"
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
objs=("$OUT/arena_stress.test.o" "$OUT/arena_fault_free.test.o")
for src in test_progs.c cgroup_helpers.c trace_helpers.c network_helpers.c testing_helpers.c btf_helpers.c \
	   cap_helpers.c unpriv_helpers.c netlink_helpers.c json_writer.c; do
	[ -f "$ST/$src" ] || continue
	# shellcheck disable=SC2086
	cc $CFLAGS -c "$ST/$src" -o "$OUT/${src%.c}.o"
	objs+=("$OUT/${src%.c}.o")
done
cc -rdynamic -o "$OUT/test_progs" "${objs[@]}" "$OUT/libbpf/libbpf.a" -lelf -lz -lrt -lpthread
echo "selftest: built $OUT/test_progs"
# the same, static, for a VM's initramfs (tests/selftests/vm.sh)
cc -static -o "$OUT/test_progs-static" "${objs[@]}" "$OUT/libbpf/libbpf.a" -lelf -lz -lzstd -lrt -lpthread \
	2>/dev/null && echo "selftest: built $OUT/test_progs-static"
cd "$OUT"
set +e
# In the background, into a file: a race that meets finding 2 on a kernel that
# has it leaves threads in D state for good, and such a process can never be
# waited for (its leader stays a zombie); a pipe would stay open with it.
./test_progs -t arena_stress,arena_fault_free -v "$@" >"$OUT/test_progs.log" 2>&1 &
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
exit $rc
