# Inside the VM (tests/integ_parallel.sh, through bench/vm-bundle.sh):
# arena-stress --parallel, timed by the guest's own clock, then stopped by a
# Ctrl-C to its process group once both scenarios print progress.
# usage: parallel-guest.sh SECONDS SCEN1,SCEN2
# busybox sh; prints sections the host test reads.
d=$1 scen=$2
up() { cut -d' ' -f1 /proc/uptime; }
echo "=== run"
t0=$(up)
./arena-stress-static -P -s "$scen" -d "$d" --json /tmp/run.json >/tmp/run.out 2>&1
rc=$?
t1=$(up)
cat /tmp/run.out
echo "=== run rc=$rc wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
echo "=== run json"
cat /tmp/run.json
echo "=== end json"

echo "=== int"
setsid ./arena-stress-static -P -s "$scen" -d 300 --json /tmp/int.json >/tmp/int.out 2>&1 &
pid=$!
ready=0
for i in $(seq 1 1200); do	# up to 120 s of polling for both progress lines
	n=0
	for s in $(echo "$scen" | tr , ' '); do
		grep -qE "^\[$s +[0-9.]+s\]" /tmp/int.out && n=$((n + 1))
	done
	[ "$n" -eq 2 ] && { ready=1; break; }
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
t0=$(up)
kill -INT -- "-$pid"
wait "$pid"
rc=$?
t1=$(up)
cat /tmp/int.out
echo "=== int ready=$ready rc=$rc stop=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
echo "=== int json"
cat /tmp/int.json 2>/dev/null
echo "=== end json"
