#!/bin/bash
# make run (tests/vm/make-run.sh): on a host that runs arenas, the run is
# here and its last line says so; on one that refuses them, the first line
# says so and names the VM's kernel package, the run ends in a verdict in
# that VM, its JSON names the kernel and the image, and --no-vm (make run
# VM=no) refuses with the host's error and says how to run it.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root"
if $AS --list 2>/dev/null | grep -q '^fault-free *runs'; then
	bash tests/vm/make-run.sh -- -s fault-free -u 0 -d 1 --json "$TMP/r.json" >"$TMP/out" 2>&1; rc=$?
	check "a host run: exit 0 (got $rc)" [ $rc -eq 0 ]
	check "the last line names the host and its kernel" [ "$(tail -1 "$TMP/out")" = "ran on the host: kernel $(uname -r)" ]
	check "the JSON names the kernel" [ "$(json "$TMP/r.json" "d['kernel']")" = "$(uname -r)" ]
	done_test
fi
bash tests/vm/make-run.sh --no-vm -- -s fault-free -d 1 >"$TMP/no" 2>&1; rc=$?
check "--no-vm: the host's error, exit 2 (got $rc)" [ $rc -eq 2 ]
check "--no-vm: the tool's own reason" grep -q "^arena-stress: cannot create a BPF arena map" "$TMP/no"
check "--no-vm: says how to run it" grep -q "without VM=no, make run runs it in a VM" "$TMP/no"
needs_vm
bash tests/vm/make-run.sh -- -s fault-free -u 0 -d 2 --json "$TMP/r.json" >"$TMP/out" 2>&1; rc=$?
grep -E '^(host|vm|result|ran)' "$TMP/out"
check "the first line says why and where" grep -qE \
	"^host refuses BPF arena maps \(.+\): running in a VM on linux-image-[0-9.]+\+deb[0-9]+-cloud-amd64 \(make run VM=no to refuse\)$" \
	<<<"$(head -1 "$TMP/out")"
p=$(head -1 "$TMP/out" | sed -n 's/.* running in a VM on \([^ ]*\) .*/\1/p')
check "a verdict in the VM: exit 0 (got $rc)" [ $rc -eq 0 ]
check "the last line names the VM, its kernel and package" grep -qE \
	"^ran in a VM: kernel [0-9][^ ]+ \(Debian package $(sed 's/[.+]/\\&/g' <<<"$p")\), qemu [0-9.]+ (tcg|kvm)" <<<"$(tail -1 "$TMP/out")"
check "the JSON names the image the run booted" [ "$(json "$TMP/r.json" "d['vm']['image']")" = "$p.vmlinuz" ]
check "the JSON says where it ran: the VM and its package" [ "$(json "$TMP/r.json" "d['where']")" = "vm: $p" ]
check "and the guest's kernel" grep -q "^${p#linux-image-}\$" <<<"$(json "$TMP/r.json" "d['kernel']")"
done_test
