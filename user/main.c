// SPDX-License-Identifier: GPL-2.0
/* arena-stress: command line, environment checks, the run loop, reports. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "engine.h"
#include "repro.h"
#include "report.h"
#include "scenarios.h"

static int verbose;

static int libbpf_print(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	if (lvl == LIBBPF_DEBUG && verbose < 2)
		return 0;
	if (lvl != LIBBPF_WARN && !verbose)
		return 0;
	return verbose ? vfprintf(stderr, fmt, ap) : 0;
}

#define VM_HINT "run it in a VM instead: tests/vm/run.sh -- ARGS (see README)"

/* Why root is refused an arena map (EPERM): what of this process says so,
 * else what else can refuse it.  kernel.unprivileged_bpf_disabled is not
 * it: it only applies without CAP_BPF/CAP_SYS_ADMIN. */
static void eperm_as_root(char *buf, size_t len)
{
	char line[256], lockdown[128] = "";
	unsigned long long capeff = ~0ULL;
	int seccomp = 0;
	bool userns = false;
	FILE *f;

	if ((f = fopen("/proc/self/status", "r"))) {
		while (fgets(line, sizeof(line), f)) {
			sscanf(line, "CapEff: %llx", &capeff);
			sscanf(line, "Seccomp: %d", &seccomp);
		}
		fclose(f);
	}
	if ((f = fopen("/proc/self/uid_map", "r"))) {
		unsigned long a, b, n;

		userns = fscanf(f, "%lu %lu %lu", &a, &b, &n) == 3 && !(a == 0 && b == 0 && n == 4294967295UL);
		fclose(f);
	}
	if ((f = fopen("/sys/kernel/security/lockdown", "r"))) {
		if (fgets(line, sizeof(line), f) && !strstr(line, "[none]"))
			snprintf(lockdown, sizeof(lockdown), "%.*s", (int)strcspn(line, "\n"), line);
		fclose(f);
	}
	if (seccomp)
		snprintf(buf, len, "a seccomp filter is on this process (Seccomp: %d in /proc/self/status)", seccomp);
	else if (userns)
		snprintf(buf, len, "root of a user namespace is not root of the machine (a container)");
	else if (!(capeff & (1ULL << 39)) || !(capeff & (1ULL << 21)))	/* CAP_BPF, CAP_SYS_ADMIN */
		snprintf(buf, len, "this root lacks CAP_BPF or CAP_SYS_ADMIN (CapEff %#llx)", capeff);
	else if (lockdown[0])
		snprintf(buf, len, "kernel lockdown is on (%s) or an LSM policy refuses it", lockdown);
	else
		snprintf(buf, len, "not seccomp, capabilities or a user namespace: an LSM policy (BPF LSM, "
			 "SELinux), kernel lockdown or the kernel's build refuses it; "
			 "kernel.unprivileged_bpf_disabled does not apply to root");
}

/* Can this machine run arena scenarios at all?  0, or fills why (one line). */
static int env_check(char *why, size_t len)
{
	struct btf *btf;
	int fd;

	if (geteuid() != 0) {
		snprintf(why, len, "needs root: BPF arena maps, sleepable BPF programs and pagemap PFNs "
			 "need CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN (try: sudo ./arena-stress)");
		return -1;
	}
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		snprintf(why, len, "kernel BTF not available (/sys/kernel/btf/vmlinux): needs CONFIG_DEBUG_INFO_BTF; "
			 VM_HINT);
		return -1;
	}
	if (btf__find_by_name_kind(btf, "bpf_arena_alloc_pages", BTF_KIND_FUNC) < 0 ||
	    btf__find_by_name_kind(btf, "bpf_arena_free_pages", BTF_KIND_FUNC) < 0) {
		btf__free(btf);
		snprintf(why, len, "kernel has no bpf_arena_alloc_pages/free_pages kfuncs (BPF arena needs Linux 6.9+); "
			 VM_HINT);
		return -1;
	}
	btf__free(btf);
	LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = BPF_F_MMAPABLE, .map_extra = AS_ARENA_BASE);
	fd = bpf_map_create(BPF_MAP_TYPE_ARENA, "as_probe", 0, 0, 1, &mo);
	if (fd < 0) {
		int e = errno;
		char cause[320] = "";

		if (e == EPERM)
			eperm_as_root(cause, sizeof(cause));
		else if (e == EINVAL)
			snprintf(cause, sizeof(cause), "kernel without BPF_MAP_TYPE_ARENA; needs Linux 6.9+ and "
				 "CONFIG_BPF_SYSCALL, MMU");
		snprintf(why, len, "cannot create a BPF arena map: %s%s%s%s; " VM_HINT, strerror(e),
			 cause[0] ? " (" : "", cause, cause[0] ? ")" : "");
		return -1;
	}
	close(fd);
	return 0;
}

/* Why this scenario cannot run here, or NULL. */
static const char *scenario_skip(const struct as_scenario *sc, const struct as_opts *o, char *why, size_t len)
{
	if (sc->unsafe && !o->unsafe) {
		snprintf(why, len, "may crash the kernel: run with --unsafe, or inside the VM runner");
		return why;
	}
	if (sc->probe && sc->probe(o, why, len))
		return why;
	return NULL;
}

/*
 * Signals.  A terminal's Ctrl-C reaches the whole process group: this
 * process and the scenario children.  A child only ever stops its run on
 * SIGINT/SIGTERM (however many come) and reports; the parent forwards the
 * first one (for a kill of the parent's PID alone) and counts them.  A
 * second one here means "quit now": the children are killed, their cgroups
 * removed, and the report says what ran.  A child dies with the parent
 * (PR_SET_PDEATHSIG), so a SIGKILL of the parent leaves nothing running.
 */
static volatile sig_atomic_t sigints;
static volatile pid_t child_pids[AS_MAX_SCEN];	/* running scenario processes (0: none) */

static void on_sigint(int sig)
{
	(void)sig;
	atomic_store(&as_interrupted, true);
	if (++sigints >= 2)
		for (int i = 0; i < AS_MAX_SCEN; i++)
			if (child_pids[i] > 0)
				kill(child_pids[i], SIGKILL);
}

static void on_sigint_child(int sig)
{
	(void)sig;
	atomic_store(&as_interrupted, true);
}

/* A thread of process pid in uninterruptible sleep: 1 and its wchan, else
 * 0.  Reads /proc/PID/task/TID/stat and wchan only: neither takes the
 * process's mmap_lock, which a stuck fault may hold. */
static int stuck_thread(pid_t pid, char *wchan, size_t len)
{
	char path[320], buf[512];
	struct dirent *e;
	int found = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	if (!(d = opendir(path)))
		return 0;
	while (!found && (e = readdir(d))) {
		char *p;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", pid, e->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) && p[1] == ' ' && p[2] == 'D')
			found = 1;
		fclose(f);
		if (found) {
			snprintf(path, sizeof(path), "/proc/%d/task/%s/wchan", pid, e->d_name);
			snprintf(wchan, len, "?");
			if ((f = fopen(path, "r"))) {
				if (fgets(buf, sizeof(buf), f))
					snprintf(wchan, len, "%.48s", buf);
				fclose(f);
			}
		}
	}
	closedir(d);
	return found;
}

/* In the scenario child: die with the parent, stop (only) on signals. */
static void child_signals(pid_t parent)
{
	struct sigaction sa = {.sa_handler = on_sigint_child};

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)	/* the parent died before the prctl */
		_exit(1);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/*
 * Each scenario runs in a child process and fills its report in shared
 * memory.  A kernel bug can leave the child's threads in uninterruptible
 * sleep for good (seen on 6.18: faults stuck in __folio_lock); such a child
 * can never be reaped, so the parent reports and moves on without it.
 * iso_start() forks it; iso_poll() is one look at it, never blocking for
 * long, so that the parent can watch several at once (--parallel).
 */
struct iso {
	const struct as_scenario *sc;
	struct as_report *rep;
	double dur;
	int slot;		/* in child_pids */
	pid_t pid;
	uint64_t started;	/* fork */
	uint64_t done_at;	/* when its report was seen final (0: not yet) */
	bool forwarded;		/* the interrupt was passed on */
};

static void iso_start(struct iso *c, const struct as_opts *o)
{
	pid_t parent = getpid();
	char why[512];

	fflush(stdout);
	fflush(stderr);
	c->pid = fork();
	if (c->pid < 0) {
		c->rep->status = AS_FAILED;
		snprintf(c->rep->why, sizeof(c->rep->why), "fork: %s", strerror(errno));
		return;
	}
	if (c->pid == 0) {
		child_signals(parent);
		as_memcg_isolate(c->rep->memcg_dir, sizeof(c->rep->memcg_dir));
		as_run_scenario(c->sc, o, o->seed, c->dur, c->rep, why, sizeof(why));
		/* --inject exit-hang: stuck in user space after the report (the
		 * parent's "tool's failure" path must kill it and say so) */
		while (o->inject & AS_INJ_EXIT_HANG)
			pause();
		atomic_store(&c->rep->done, 1);
		fflush(stdout);
		fflush(stderr);
		_exit(0);	/* hangs here if workers are stuck: the parent does not wait */
	}
	child_pids[c->slot] = c->pid;
	c->started = as_now_ns();
}

/* After its end, a child may take this long to report: 30 s, more where
 * the hang watchdog waits longer (--parallel) */
static double iso_margin_s(void)
{
	return 30 + as_hang_secs() - AS_HANG_SECS;
}

/* Set-up may take this long before the run's own time starts (BPF loads
 * and verifies in seconds under TCG, longer with every scenario at once). */
#define AS_SETUP_GRACE_S 60

/* When a child must be done with: its set-up (or the grace for it while it
 * lasts), the run, its 5 s hang watchdog, teardown and the leak oracle's
 * wait. */
static uint64_t iso_deadline(const struct iso *c)
{
	uint64_t setup = c->rep->setup_ns ? c->rep->setup_ns : AS_SETUP_GRACE_S * 1000000000ULL;

	return c->started + setup + (uint64_t)((c->dur + iso_margin_s()) * 1e9);
}

/* The child is done with: its cgroup goes (empty once its process is). */
static bool iso_end(struct iso *c)
{
	if (c->rep->memcg_dir[0])
		rmdir(c->rep->memcg_dir);
	child_pids[c->slot] = 0;
	c->pid = 0;
	return true;
}

/* One look at a running child: true once it is done with. */
static bool iso_poll(struct iso *c)
{
	struct as_report *rep = c->rep;
	uint64_t now = as_now_ns();
	char wchan[64];
	int status;
	pid_t w;

	if (c->pid <= 0)
		return true;
	w = waitpid(c->pid, &status, WNOHANG);
	if (w == c->pid) {
		if (!atomic_load(&rep->done)) {
			rep->status = sigints >= 2 ? AS_KILLED : AS_FAILED;
			snprintf(rep->why, sizeof(rep->why), sigints >= 2
				 ? "killed by a second interrupt before it could report"
				 : "scenario process died (%s %d)",
				 WIFSIGNALED(status) ? "signal" : "exit status",
				 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		}
		return iso_end(c);
	}
	if (atomic_load(&rep->done)) {
		/* report final; give the child a second to exit, then leave it */
		if (!c->done_at)
			c->done_at = now;
		if (now - c->done_at < 1000000000ULL)
			return false;
		/* not gone a second after its report: leave no process behind
		 * (one stuck in the kernel dies when the kernel lets it go) */
		kill(c->pid, SIGKILL);
		child_pids[c->slot] = 0;
		c->pid = 0;
		return true;
	}
	if (atomic_load(&as_interrupted) && !c->forwarded) {
		kill(c->pid, SIGINT);	/* idempotent if the terminal sent it too */
		c->forwarded = true;
	}
	if (now <= iso_deadline(c))
		return false;
	{
		bool reported = atomic_load(&rep->reported);

		/* the kernel's hang only when a thread of it is in
		 * uninterruptible sleep, in the kernel, for good (finding
		 * 2's page lock, and mmap_lock waiters behind it) */
		if (stuck_thread(c->pid, wchan, sizeof(wchan)) > 0) {
			struct as_violation v = {.kind = V_HANG, .t_ns = (uint64_t)(c->dur * 1e9)};

			snprintf(v.saw, sizeof(v.saw), "the scenario process never finished: a thread of it is in "
				 "uninterruptible sleep in the kernel at %s%s, %.0f s after its end; left behind as "
				 "pid %d", wchan, reported ? " (after its report: tearing the arena down)" : "",
				 iso_margin_s(), c->pid);
			snprintf(v.classify, sizeof(v.classify), "a task stuck in the kernel for good (read "
				 "/proc/%d/task/*/stack); %s", c->pid, reported ? "the leak oracle could not run"
				 : "counters are those of its last progress line, and the final sweep and leak "
				   "oracle could not run");
			as_report_add(rep, &v);
			as_report_print_violation(stdout, rep, &v);
			child_pids[c->slot] = 0;
			c->pid = 0;
			return true;
		}
		/* stuck in user space: the tool's own failure, whatever it
		 * reported (its verdicts stand); it can be killed */
		kill(c->pid, SIGKILL);
		for (int i = 0; i < 200 && waitpid(c->pid, &status, WNOHANG) != c->pid; i++)
			usleep(10000);
		rep->status = AS_FAILED;
		snprintf(rep->why, sizeof(rep->why), "scenario process did not finish %.0f s after its end%s, "
			 "with no thread stuck in the kernel: the tool's failure (killed)", iso_margin_s(),
			 reported ? " (after its report)" : "");
		return iso_end(c);
	}
}

static void say(const char *fmt, ...);

/*
 * Run the children until each is done with (n: 1 for one scenario at a
 * time, all of them with --parallel), saying once that an interrupt was
 * taken, and each failure as it ends.
 */
static void iso_run(struct iso *cs, int n, const struct as_opts *o)
{
	static bool announced;
	bool done[AS_MAX_SCEN];
	int left = 0;

	for (int i = 0; i < n; i++)
		iso_start(&cs[i], o);
	for (int i = 0; i < n; i++)
		left += !(done[i] = cs[i].pid <= 0);
	while (left) {
		if (atomic_load(&as_interrupted) && !announced) {
			announced = true;
			fprintf(stderr, "arena-stress: interrupted: stopping and reporting what ran "
				"(interrupt again to quit at once)\n");
		}
		for (int i = 0; i < n; i++)
			if (!done[i] && iso_poll(&cs[i])) {
				done[i] = true;
				left--;
			}
		if (left)
			usleep(10000);
	}
	for (int i = 0; i < n; i++)
		if (cs[i].rep->status == AS_FAILED)
			say("%s: %s", cs[i].sc->name, cs[i].rep->why);
}

/* An error, on one line whatever it quotes: "arena-stress: ..." on stderr. */
static void say(const char *fmt, ...)
{
	char buf[1280];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	as_one_line(buf);
	fprintf(stderr, "arena-stress: %s\n", buf);
}

/* The outputs the run will write, checked before it starts: a bad path is
 * a usage error now, not after the whole run, and nothing is created,
 * truncated or removed by the check.  0, or fills err. */
static int open_outputs(const struct as_opts *o, struct as_out *json, char *err, size_t len)
{
	char e[512];

	memset(json, 0, sizeof(*json));
	json->fd = -1;
	if (o->json && !strcmp(o->json, "-")) {
		/* stdout carries only the JSON: the human report goes to stderr */
		int fd = dup(STDOUT_FILENO);

		if (fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
			snprintf(err, len, "--json -: %s", strerror(errno));
			return -1;
		}
		json->how = AS_OUT_FD;
		json->fd = fd;
	} else if (o->json && as_out_open(json, o->json, e, sizeof(e))) {
		snprintf(err, len, "cannot write --json %s", e);
		return -1;
	}
	if (o->repro && as_repro_check(o->repro, o->json && strcmp(o->json, "-") ? o->json : NULL, e, sizeof(e))) {
		snprintf(err, len, "--repro %s", e);
		as_out_close(json);
		return -1;
	}
	return 0;
}

/* The last line: the verdict the exit code says, what the violations are
 * known as (findings/causes.tsv), and what failed beside it. */
static void result_line(const struct as_report *reps, int n, int code)
{
	char failed[256] = "", causes[512];
	size_t k = 0;

	for (int i = 0; i < n && code != AS_EXIT_USAGE; i++)
		if (reps[i].status == AS_FAILED && k < sizeof(failed))
			k += snprintf(failed + k, sizeof(failed) - k, "%s%s", k ? ", " : "; failed: ", reps[i].scenario);
	as_causes_summary(reps, n, causes, sizeof(causes));
	printf("result: %s%s%s%s%s (exit %d)\n", code == 0 ? "clean" : code == 1 ? "VIOLATIONS FOUND"
	       : code == 3 ? "KERNEL SPLAT" : code == 4 ? "nothing ran" : "error", causes[0] ? " (" : "", causes,
	       causes[0] ? ")" : "", failed, code);
}

/*
 * The end of every run, an early failure included: the reproducer, the JSON
 * report (whole, or not at all), the exit code.  Returns the exit code.
 */
static int finish(const struct as_opts *o, struct as_report *reps, int nrep, struct as_out *json,
		  const char *kernel)
{
	bool out_failed = false;
	char err[512];
	int code = as_exit_code(reps, nrep, false);

	if (o->repro && code != AS_EXIT_USAGE) {
		const struct as_report *hit = NULL;

		for (int i = 0; i < nrep && !hit; i++)
			if (reps[i].nkept)
				hit = &reps[i];
		if (!hit) {
			printf("repro: no violation, no reproducer written\n");
		} else if (as_repro_write(o->repro, hit, &hit->v[0], kernel, err, sizeof(err))) {
			say("--repro: %s", err);
			out_failed = true;
		} else {
			printf("repro: %s violation of %s written to %s/ (README.md says what it shows): "
			       "make -C %s && sudo %s/repro\n", as_vkind_name[hit->v[0].kind], hit->scenario,
			       o->repro, o->repro, o->repro);
		}
	}
	code = as_exit_code(reps, nrep, out_failed);
	if (json->how != AS_OUT_NONE) {
		char *buf = NULL;
		size_t n = 0;
		FILE *f = open_memstream(&buf, &n);
		int bad = !f;

		if (f) {
			bad |= as_report_json(f, reps, nrep, kernel, code);
			bad |= fclose(f);
		}
		if (bad)
			snprintf(err, sizeof(err), "%s", strerror(errno));
		if (bad || as_out_write(json, buf, n, err, sizeof(err))) {
			say("cannot write --json %s: %s", o->json, err);
			code = as_exit_code(reps, nrep, true);
		}
		free(buf);
		as_out_close(json);
	}
	/* last, so that it always agrees with the exit code */
	result_line(reps, nrep, code);
	return code;
}

int main(int argc, char **argv)
{
	struct as_report *reps;
	const struct as_scenario *run[AS_MAX_SCEN];
	struct as_opts o;
	char err[1024], why[512], envwhy[1024] = "";
	int nrun = 0, nrep = 0, code, i, runnable = 0;
	struct as_out json;
	bool env_ok;
	struct utsname un;

	code = as_parse_opts(argc, argv, &o, err, sizeof(err));
	if (code) {
		say("%s", err);
		return code;
	}
	if (o.help) {
		as_usage(stdout);
		return 0;
	}
	if (o.version) {
		printf("arena-stress %s\n", AS_VERSION);
		return 0;
	}
	verbose = o.verbose;
	libbpf_set_print(libbpf_print);
	setvbuf(stdout, NULL, _IOLBF, 0);
	uname(&un);
	/* before any scenario forks: the report names each violation's cause */
	if (as_causes_load(as_causes_tsv, un.release, err, sizeof(err)) < 0) {
		say("findings/causes.tsv (built in): %s", err);
		return AS_EXIT_USAGE;
	}

	for (i = 0; i < o.nscen; i++) {
		const struct as_scenario *sc = as_find_scenario(o.scen[i]);

		if (!sc) {
			say("unknown scenario '%s' for --scenario (see --list)", o.scen[i]);
			return AS_EXIT_USAGE;
		}
		run[nrun++] = sc;
	}
	if (!nrun)
		for (i = 0; as_scenarios[i] && nrun < AS_MAX_SCEN; i++)
			if (!as_scenarios[i]->named_only)
				run[nrun++] = as_scenarios[i];

	env_ok = env_check(envwhy, sizeof(envwhy)) == 0;
	if (o.list) {
		/* a reason of the host is said once, above the table */
		if (!env_ok)
			printf("no scenario can run here:\nreason: %s\n\n", envwhy);
		printf("%-14s %-11s %s\n", "scenario", "here", "what it does");
		for (i = 0; as_scenarios[i]; i++) {
			const struct as_scenario *sc = as_scenarios[i];
			const char *skip = env_ok ? scenario_skip(sc, &o, why, sizeof(why)) : NULL;

			printf("%-14s %-11s %s%s%s%s%s\n", sc->name, skip || !env_ok ? "unavailable" : "runs",
			       sc->summary, sc->unsafe ? " [unsafe]" : "", sc->named_only ? " [only with -s]" : "",
			       skip ? "\n               reason: " : "", skip ? skip : "");
		}
		return 0;
	}
	/* a bad output path is the user's error whatever the kernel offers */
	if (open_outputs(&o, &json, err, sizeof(err))) {
		say("%s", err);
		return AS_EXIT_USAGE;
	}
	if (!o.seed_set)
		o.seed = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid() ^ (uint64_t)clock();
	reps = mmap(NULL, sizeof(*reps) * AS_MAX_SCEN, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (reps == MAP_FAILED) {
		say("mmap: %s", strerror(errno));
		as_out_close(&json);
		return AS_EXIT_USAGE;
	}
	if (!env_ok) {
		/* a run too: every scenario failed for the host's reason, and
		 * the report says so */
		say("%s", envwhy);
		for (i = 0; i < nrun; i++) {
			struct as_report *rep = &reps[nrep++];

			as_report_init(rep, run[i]->name, o.seed);
			rep->status = AS_FAILED;
			snprintf(rep->why, sizeof(rep->why), "%s", envwhy);
		}
		return finish(&o, reps, nrep, &json, un.release);
	}
	as_install_signal_guard();
	{
		struct sigaction sa = {.sa_handler = on_sigint};

		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	/* memory cgroups of earlier runs whose parent was killed */
	as_memcg_sweep_stale();

	for (i = 0; i < nrun; i++)
		runnable += !scenario_skip(run[i], &o, why, sizeof(why));
	if (o.parallel && runnable > 1 && !o.user_threads_set && o.user_threads > 0) {
		/* the scenarios share the CPUs: as many user workers in all as
		 * --user-threads per CPU, at least 2 per scenario (a lead and a
		 * user worker), never more than --user-threads (README) */
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		int n = (o.user_threads * (int)(ncpu > 0 ? ncpu : 1) + runnable - 1) / runnable;
		int lo = o.user_threads < 2 ? o.user_threads : 2;

		o.user_threads = n < lo ? lo : n > o.user_threads ? o.user_threads : n;
	}
	printf("arena-stress: kernel %s (%s), seed %" PRIu64 ", %u pages, %d BPF + %d user threads, %.1fs%s\n",
	       un.release, as_where(), o.seed, o.pages, o.bpf_threads, o.user_threads, o.duration,
	       o.parallel && runnable > 1 ? " (--parallel: the scenarios at once, each with these threads for the "
	       "whole duration)" : "");

	{
		struct iso cs[AS_MAX_SCEN];
		int ncs = 0;

		for (i = 0; i < nrun; i++) {
			struct as_report *rep = &reps[nrep++];
			const char *skip = scenario_skip(run[i], &o, why, sizeof(why));

			as_report_init(rep, run[i]->name, o.seed);
			if (atomic_load(&as_interrupted)) {
				rep->status = AS_NOTRUN;
				snprintf(rep->why, sizeof(rep->why), "interrupted before it started");
				continue;
			}
			if (skip) {
				rep->status = AS_SKIPPED;
				snprintf(rep->why, sizeof(rep->why), "%s", skip);
				printf("SKIP %s: %s\n", run[i]->name, skip);
				continue;
			}
			/* always, and in this form: the VM runner names the scenario a
			 * guest crashed in from the last such line (with --parallel
			 * every one is printed at the start: it names none) */
			printf("== %s: %s\n", run[i]->name, run[i]->summary);
			cs[ncs] = (struct iso){.sc = run[i], .rep = rep, .slot = ncs,
					       .dur = o.parallel ? o.duration : o.duration / (runnable ? runnable : 1)};
			if (!o.parallel) {
				iso_run(&cs[ncs], 1, &o);
				continue;
			}
			ncs++;
		}
		if (o.parallel && ncs) {
			/* the tracing is system-wide: attached once for all
			 * (one process per scenario attaching its own fentry/
			 * fexit set serializes on the kernel's trampoline
			 * updates: minutes of set-up under TCG) */
			static struct as_covrun cov;

			as_concurrent = ncs;
			if (!o.no_coverage && ncs > 1) {
				uint64_t t = as_now_ns();

				as_cov_start(&cov);
				as_cov_shared = &cov;
				/* before any scenario's set-up: in no setup_ms */
				printf("arena-stress: race-window tracing attached once for all scenarios in %.0f ms\n",
				       (as_now_ns() - t) / 1e6);
			}
			iso_run(cs, ncs, &o);
			if (as_cov_shared)
				as_cov_stop(&cov);
		}
	}

	as_report_table(stdout, reps, nrep);
	code = as_exit_code(reps, nrep, false);
	if (code == AS_EXIT_SKIPPED)
		for (i = 0; i < nrep; i++)
			if (reps[i].status == AS_NOWORK) {
				printf("no scenario did any work (--duration %g s leaves each under %g s): "
				       "not a pass\n", o.duration, AS_MIN_SHARE_S);
				break;
			}
	if (atomic_load(&as_interrupted))
		printf("interrupted%s: report covers the time run so far\n", sigints >= 2 ? " twice" : "");
	return finish(&o, reps, nrep, &json, un.release);
}
