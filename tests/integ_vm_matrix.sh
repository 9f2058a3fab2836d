#!/bin/bash
# The kernel matrix (tests/vm/matrix.sh, make kernels) on one kernel, Debian's
# 7.3.4, with a short default run: usage errors before any boot; the job's
# JSON names the package and carries the reproducers' verdicts (deterministic
# there: finding 4's and 6's reproduce, MADV_DOFORK is refused); its KTAP is
# well formed (plan = results, a SKIP only with a reason) and says "not ok"
# for a reproducer that reproduced; the table has a row per finding and the
# kernel's column, its cells agreeing with the JSON.
. "$(dirname "$0")/lib.sh"
for a in "-j 0" "-d x" "-k 7" "--bogus"; do
	bash tests/vm/matrix.sh $a >"$TMP/u" 2>&1; rc=$?
	check "usage error '$a': exit 2 before any boot (got $rc)" [ $rc -eq 2 ]
	check "usage error '$a': says so in one line" [ "$(wc -l <"$TMP/u")" -eq 1 ]
done
needs_vm
bash tests/vm/matrix.sh -k 7.3 -d 6 -o "$TMP/m.txt" --out "$TMP/o" >"$TMP/out" 2>&1; rc=$?
grep '^matrix:' "$TMP/out"
check "the job reached a verdict (exit $rc)" [ $rc -eq 0 ]
j=$TMP/o/7.3.json
[ -s "$j" ] || { fail "no job JSON"; done_test; }
check "the JSON names the kernel package" grep -qE '^linux-image-7\.3\.[0-9]+\+deb[0-9]+-cloud-amd64$' <<<"$(json "$j" "d['kernel_package']")"
check "finding 4's reproducer reproduced" [ "$(json "$j" "d['repro']['reserve']['verdict']")" = reproduced ]
check "finding 6's reproducer reproduced" [ "$(json "$j" "d['repro']['scratch']['verdict']")" = reproduced ]
check "MADV_DOFORK refused: dofork's reproducer did not reproduce" [ "$(json "$j" "d['repro']['dofork']['verdict']")" = "not reproduced" ]
check "the cells agree: finding 4's reproducer R" [ "$(json "$j" "d['findings']['finding 4']['repro']")" = R ]
check "every scenario of the run has a status" [ "$(json "$j" "all(s['status'] for s in d['default']['scenarios']) and len(d['default']['scenarios']) > 10")" = True ]
k=$TMP/o/7.3.ktap
check "KTAP: its header" [ "$(head -1 "$k")" = "KTAP version 1" ]
n=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$k")
check "KTAP: the plan counts the results ($n)" [ "$(grep -cE '^(not )?ok [0-9]+ ' "$k")" = "$n" ]
check "KTAP: results numbered 1..$n in order" [ "$(grep -oE '^(not )?ok [0-9]+' "$k" | awk '{print $NF}' | tr '\n' ' ')" = "$(seq -s ' ' 1 "$n") " ]
check "KTAP: a reproducer that reproduced is not ok" grep -q '^not ok [0-9]* repro-reserve # reproduced' "$k"
check "KTAP: every SKIP has its reason" bash -c "! grep -qE '# SKIP *$' '$k'"
check "the table: a row per finding" [ "$(grep -cE '^\| [1-7] ' "$TMP/m.txt")" = 7 ]
check "the table: the kernel's column" grep -qE '^\| finding \| 7\.3\.[0-9]+ \|$' "$TMP/m.txt"
check "the table: finding 4's cell ends in the reproducer's R" grep -qE '^\| 4 .* / R \|$' "$TMP/m.txt"
done_test
