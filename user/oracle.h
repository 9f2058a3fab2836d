/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Oracles shared by every scenario.  The decision functions here are pure
 * (views in, verdict out) so tests can feed them injected divergences; the
 * engine gathers the real views from user space, BPF and /proc.
 */
#ifndef AS_ORACLE_H
#define AS_ORACLE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum as_vkind {
	V_NONE = 0,
	V_COHERENCE,	/* user and BPF see different contents at one address */
	V_STALE_FREE,	/* a page the arena freed is still reachable from user space */
	V_TOKEN,	/* BPF's own view lost the token it wrote at allocation */
	V_UNREACHABLE,	/* an allocated page faults (SIGSEGV/SIGBUS) in user space */
	V_DIRTY_ALLOC,	/* a freshly allocated page was not zero */
	V_KERNEL,	/* the kernel logged a splat or bumped warn/oops/taint */
	V_SIGNAL,	/* unexpected SIGSEGV/SIGBUS on arena access */
	V_CONTRACT,	/* the kernel accepted an operation the arena must refuse */
	V_LEAK,		/* memory did not come back after teardown */
	V_HANG,		/* a worker is stuck in the kernel and never reaches a quiesce point */
	V_PIN,		/* data crossed between a pinned old page and a re-allocated address */
	V_STUCK,	/* a worker never reached a quiesce point and is not in the kernel: a tool bug */
	V_ACCOUNTING,	/* the arena's own memory usage disagrees with the pages allocated */
	V__NR
};
extern const char *const as_vkind_name[V__NR];

/* Everything one sweep learned about one page. */
struct as_view {
	bool allocated;		/* user space's page table says BPF owns it */
	bool segv_on_fault;	/* arena has BPF_F_SEGV_ON_FAULT */
	uint64_t exp_token;	/* token BPF wrote at allocation */
	/* allocated pages */
	uint64_t unonce;	/* nonce the user wrote ... */
	int uwrite_sig;		/* ... and the signal that write took (0 = none) */
	uint64_t bpf_token;	/* token and user nonce as BPF read them */
	uint64_t bpf_unonce;
	uint64_t bnonce;	/* nonce BPF wrote ... */
	uint64_t user_bnonce;	/* ... and what the user read back */
	int uread_sig;
	/* free pages */
	bool probed;		/* user read the free page */
	int probe_sig;		/* its signal (SIGSEGV expected with SEGV_ON_FAULT) */
	uint64_t probe_val;
	/* /proc/self/pagemap */
	bool pte_present;
	uint64_t pfn;
};

/* Verdict of the coherence oracle for one page (V_NONE when coherent);
 * why gets one line saying what each side saw. */
enum as_vkind as_judge_page(const struct as_view *v, char *why, size_t len);

/*
 * Kernel-path oracle: the kernel read or wrote an arena page on this
 * process's behalf (GUP pin, io_uring, process_vm_readv/writev, O_DIRECT).
 * The engine snapshots the page's allocation (owner state, token) when the
 * kernel took the page (the pin, or the op's start) and around the op and
 * its check; the judge only rules when that allocation was stable.
 */
enum as_kop_kind {
	AS_KOP_RESOLVE,		/* the kernel resolved/pinned the address (GUP) */
	AS_KOP_READ,		/* the kernel read the token word (offset 0) */
	AS_KOP_WRITE,		/* the kernel wrote a marker; BPF then peeked it */
};

struct as_kview {
	enum as_kop_kind kind;
	bool segv_on_fault;	/* arena has BPF_F_SEGV_ON_FAULT */
	bool stable;		/* the same allocation (or free) before the op and after its check */
	bool allocated;		/* ... and it was an allocation (else the page was free) */
	uint64_t t_now;		/* its token (of a free page: the last allocation's) */
	bool pinned;		/* the kernel took the page earlier (a long-term pin) */
	bool ref_known;		/* the allocation when the kernel took the page is known */
	bool ref_alloc;		/* ... it was allocated */
	uint64_t t_ref;		/* ... with this token */
	int err;		/* 0 or -errno of the op */
	uint64_t val;		/* READ: word read; WRITE: what BPF reads at the marker's place */
	uint64_t mark;		/* WRITE: the marker written */
};

/* Verdict on one kernel-path op (V_NONE when consistent or undecidable). */
enum as_vkind as_judge_kop(const struct as_kview *k, const char *path, char *why, size_t len);

/* Nonces: distinct per sweep, page and direction, never zero. */
uint64_t as_nonce(uint64_t seed, uint64_t sweep, uint32_t pgoff, int dir);

/* /proc/self/pagemap: present bit and PFN (PFN is 0 without CAP_SYS_ADMIN). */
#define PM_PRESENT	(1ULL << 63)
#define PM_PFN_MASK	((1ULL << 55) - 1)
int as_pagemap_read(int fd, uintptr_t vaddr, uint32_t n, uint64_t *out);

/* Kernel watch: new /dev/kmsg lines that look like a splat, and changes in
 * warn_count, oops_count and taint since as_kwatch_open(). */
struct as_kwatch {
	int fd;
	long warn0, oops0, taint0;
	char lines[4096];	/* matching lines, quoted in the report */
	size_t len;
	int nlines;
};
bool as_kmsg_match(const char *line);
int as_kwatch_open(struct as_kwatch *k);
/* Reads what is new; returns how many splat lines/counter changes so far. */
int as_kwatch_poll(struct as_kwatch *k);
void as_kwatch_close(struct as_kwatch *k);
long as_read_long(const char *path);
/* A BPF map's memory usage as the kernel reports it (fdinfo "memlock"):
 * bytes, or -1. */
long long as_map_memlock(int map_fd);

/* Leak oracle: memory charged to this process's memory cgroup (v2
 * memory.current or v1 memory.usage_in_bytes), -1 when unavailable. */
long long as_memcg_usage(void);
long long as_memcg_stat(const char *key);
/* Every counter of that memory.stat: how many (at most max) */
struct as_memstat {
	char key[48];
	long long val;
};
int as_memcg_stat_all(struct as_memstat *m, int max);
/* as_memcg_usage(), or (no memcg) the system's MemTotal - MemFree: user/scenario.h */
/* Move this process into a new child memory cgroup of its own, so the leak
 * oracle sees only its own charges (made = the directory, for rmdir later).
 * -1 when not possible: the oracle then reads the shared cgroup. */
int as_memcg_isolate(char *made, size_t len);
/* A memory cgroup beside own (the scenario's, as_memcg_isolate's): own-arena,
 * made and joined (this whole process moves there; it moves back by writing
 * its pid to own's cgroup.procs).  0, or -errno (made may still be set). */
int as_memcg_sibling(const char *own, char *made, size_t len);
/* A cgroup file's first number (-1), or write val to it (0 or -errno). */
long long as_cg_get(const char *dir, const char *file);
int as_cg_put(const char *dir, const char *file, const char *val);
/* Remove the cgroups of earlier runs whose scenario process is gone (a run
 * killed with SIGKILL cannot remove its own); a live run's stays, even
 * before its process has moved in.  Returns how many went. */
int as_memcg_sweep_stale(void);

#endif
