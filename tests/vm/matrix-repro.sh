# Guest side of tests/vm/matrix.sh (run by tests/vm/in-guest.sh): each
# finding's stand-alone reproducer that was given (./repro-NAME), one after
# the other, each's output and exit code left in OUT (1 reproduced, 0 not,
# 2 it could not run here: the kernel lacks what it needs).
for r in orphan reserve scratch dofork; do
	[ -x "./repro-$r" ] || continue
	echo "== reproducer $r"
	echo running >"$OUT/$r.rc"	# (a crash leaves this)
	a=; [ $r = orphan ] && a=${REPRO_BUDGET:-20}
	timeout 120 "./repro-$r" $a >"$OUT/$r.out" 2>&1
	echo $? >"$OUT/$r.rc"
	cat "$OUT/$r.out"
done
