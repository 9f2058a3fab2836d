#!/bin/bash
# Skip reasons are true: `--list` in the VM on Debian's 6.12, 6.16, 7.2 and 7.3
# cloud kernels ($AS_VM_SKIP_SERIES), judged against what each kernel's own
# BTF has, read here from its image (bpftool on the vmlinux inside the
# bzImage): reserve runs where the kernel has bpf_arena_reserve_pages, else
# its reason names that kfunc; scratch names the cid-form sched_ext pieces
# the kernel lacks first, then the reservations; no reason guesses a version.
. "$(dirname "$0")/lib.sh"
needs_vm
command -v bpftool >/dev/null || skip "no bpftool (make deps)"
CACHE=${AS_VM_CACHE:-$HOME/.cache/arena-stress}

# vmlinux KERNEL-IMAGE OUT: the ELF inside a bzImage (its zstd, xz or gzip payload)
vmlinux() {
	python3 - "$1" "$2" <<'PY'
import gzip, lzma, subprocess, sys
img = open(sys.argv[1], "rb").read()
for magic, how in ((b"\x28\xb5\x2f\xfd", "zstd"), (b"\xfd7zXZ\x00", "xz"), (b"\x1f\x8b\x08", "gzip")):
    at = img.find(magic)
    while at >= 0:
        try:
            if how == "zstd":
                out = subprocess.run(["zstd", "-dcq"], input=img[at:], capture_output=True).stdout
            elif how == "xz":
                out = lzma.LZMADecompressor().decompress(img[at:])
            else:
                out = gzip.decompress(img[at:])
        except Exception:
            out = b""
        if out[:4] == b"\x7fELF":
            open(sys.argv[2], "wb").write(out)
            sys.exit(0)
        at = img.find(magic, at + 1)
sys.exit(1)
PY
}

# the reason line under a scenario's row of --list, and whether it runs
row() { sed -n "/^$1 /{p;n;p}" "$2"; }
reason() { row "$1" "$2" | sed -n 's/^ *reason: //p'; }

for series in ${AS_VM_SKIP_SERIES:-6.12 6.16 7.2 7.3}; do
	p="linux-image-$series.*-cloud-amd64"
	out=$TMP/list-$series
	bash tests/vm/run.sh --kernel-pkg "$p" --timeout 120 -- --unsafe --list >"$out" 2>&1; rc=$?
	if ! check "$series: --list ran in the VM (exit $rc)" [ "$rc" -eq 0 ]; then
		tail -5 "$out"
		continue
	fi
	check "$series: the guest ran that kernel" grep -q "^AS-VM-START $series\." "$out"
	name=$(bash scripts/debian-fetch.sh list "$p")
	if ! vmlinux "$CACHE/$name.vmlinuz" "$TMP/vmlinux"; then
		fail "$series: no vmlinux in $CACHE/$name.vmlinuz"
		continue
	fi
	bpftool btf dump file "$TMP/vmlinux" >"$TMP/btf" 2>/dev/null
	check "$series: its BTF read (it has bpf_arena_alloc_pages)" grep -q "FUNC 'bpf_arena_alloc_pages'" "$TMP/btf"
	has() { grep -q "$1 '$2'" "$TMP/btf"; }
	resv=no ops=no kf=no
	has FUNC bpf_arena_reserve_pages && resv=yes
	has STRUCT sched_ext_ops_cid && ops=yes
	has FUNC scx_bpf_cid_override && kf=yes
	# the op the scenario's scheduler uses, a member of that struct (7.2 lacks it)
	cids=no
	sed -n "/STRUCT 'sched_ext_ops_cid'/,/^\[/p" "$TMP/btf" | grep -q "'init_cids'" && cids=yes
	echo "note: $series ($name): bpf_arena_reserve_pages $resv, sched_ext_ops_cid $ops (init_cids $cids), scx_bpf_cid_override $kf"
	r=$(reason reserve "$out") s=$(reason scratch "$out")
	echo "note: $series: reserve: ${r:-runs}"
	echo "note: $series: scratch: ${s:-runs}"
	if [ $resv = yes ]; then
		check "$series: reserve runs (the kernel has reservations)" grep -q "^reserve *runs" <(row reserve "$out")
	else
		check "$series: reserve's reason names bpf_arena_reserve_pages" grep -q "no bpf_arena_reserve_pages" <<<"$r"
	fi
	if [ $ops = no ] || [ $kf = no ]; then
		for n in sched_ext_ops_cid scx_bpf_cid_override; do
			[ "$n" = sched_ext_ops_cid ] && h=$ops || h=$kf
			if [ "$h" = no ]; then
				check "$series: scratch's reason names the missing $n" grep -q "no .*$n" <<<"$s"
			else
				check "$series: and not $n, which the kernel has" eval '! grep -q "$n" <<<"$s"'
			fi
		done
		check "$series: scratch gives its own reason, not reserve's" eval '! grep -q reserve <<<"$s"'
	elif [ $cids = no ]; then
		check "$series: scratch's reason names the missing init_cids op" grep -q "no init_cids" <<<"$s"
	elif [ $resv = no ]; then
		check "$series: scratch's reason names bpf_arena_reserve_pages" grep -q "no bpf_arena_reserve_pages" <<<"$s"
	else
		check "$series: scratch runs (cid-form sched_ext and reservations)" grep -q "^scratch *runs" <(row scratch "$out")
	fi
	# what the kernel lacks, not which version has it
	check "$series: no reason guesses a version" eval '! grep -qE "[0-9]+\.[0-9]+" <<<"$r$s"'
done
done_test
