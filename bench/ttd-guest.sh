# Inside the VM (bench/vm-ttd.sh, bundled by bench/vm-bundle.sh; busybox sh):
# N seeds of each pair "SCENARIO:PEER", the peer and arena-stress one after
# the other, in turn first (odd seeds the peer, even seeds arena-stress), so
# that a drift in the guest's speed falls on both alike.
# usage: ttd-guest.sh N SECONDS ROUNDS SCENARIO:PEER[,SCENARIO:PEER...] [ARENA-STRESS-ARGS...]
# (ROUNDS: the peer's round bound, -r; 0 none: SECONDS alone bounds it)
# Prints sections bench/vm-ttd.sh reads: "=== peer NAME seed=S rc=R" and its
# one line; "=== as SCENARIO seed=S rc=R", the JSON report between "=== json"
# and "=== end json".  A run that does not end within SECONDS + 120 s (a
# thread stuck in the kernel: finding 2 can leave one) is left behind and
# marked rc=stuck; the next ones still run.
n=$1 t=$2 rounds=$3 pairs=$4
shift 4
lim=$((${t%.*} + 120))
echo "=== ttd kernel $(uname -r) cpus $(grep -c ^processor /proc/cpuinfo) n=$n t=$t rounds=$rounds pairs=$pairs args=$*"

# run "$@" with its output in /tmp/ttd.out; rc in $rc (stuck: still running)
bounded() {
	"$@" >/tmp/ttd.out 2>&1 &
	pid=$!
	i=0
	while kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -gt $((lim * 10)) ] && { rc=stuck; return; }
		sleep 0.1	# polling a deadline, not a synchronisation
	done
	wait "$pid"
	rc=$?
}

peer() { # peer NAME SEED
	bounded "./$1" -d "$t" -r "$rounds" -s "$2"
	echo "=== peer $1 seed=$2 rc=$rc"
	grep "^peer " /tmp/ttd.out || tail -3 /tmp/ttd.out
}

as() { # as SCENARIO SEED ARGS...
	sc=$1 s=$2
	shift 2
	rm -f /tmp/ttd.json
	bounded ./arena-stress-static -s "$sc" -x -d "$t" --seed "$s" --no-kernel-watch --json /tmp/ttd.json "$@"
	echo "=== as $sc seed=$s rc=$rc"
	grep -E "^$sc +" /tmp/ttd.out
	echo "=== json"
	cat /tmp/ttd.json 2>/dev/null
	echo
	echo "=== end json"
}

s=1
while [ "$s" -le "$n" ]; do
	for pair in $(echo "$pairs" | tr , ' '); do
		sc=${pair%%:*} pn=${pair#*:}
		if [ $((s % 2)) = 1 ]; then
			peer "$pn" "$s"; as "$sc" "$s" "$@"
		else
			as "$sc" "$s" "$@"; peer "$pn" "$s"
		fi
	done
	s=$((s + 1))
done
echo "=== ttd done"
