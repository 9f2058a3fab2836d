// SPDX-License-Identifier: GPL-2.0
/*
 * Reproducer: madvise(MADV_DOFORK) lets a forked child inherit the BPF arena
 * mapping, and bpf_arena_free_pages() never zaps the child's PTEs.
 *
 * Deliberately stand-alone: it shares no code with arena-stress (only the
 * page layout), so it can be sent to a kernel list on its own; what it
 * repeats of the tool is on purpose.
 *
 * The arena VMA is VM_DONTCOPY so that no child inherits it: frees zap only
 * the VMAs on the arena's own list, one entry per mmap().  MADV_DOFORK clears
 * VM_DONTCOPY; after fork() the child's VMA shares the parent's list entry
 * (arena_vm_open() only takes a reference) and is on no list itself.  So:
 *
 *   parent: BPF allocates page 1 (token T); madvise(arena, MADV_DOFORK); fork
 *   child:  reads page 1 -> T                      (its own PTE now maps it)
 *   parent: BPF frees page 1                       (zaps the parent's VMA only)
 *   child:  reads page 1 -> T again                should SIGSEGV: the page is freed
 *
 * Not done here, because it can crash the kernel: if the parent munmaps while
 * the child lives, the shared entry keeps pointing at the parent's freed VMA
 * and the next multi-page free zaps it (use-after-free; KASAN reports it).
 *
 * Exit 1: reproduced, 0: the kernel refused MADV_DOFORK or zapped the child,
 * 2: set-up error.  usage: ./repro   (root)
 */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "repro.skel.h"

enum { OP_ALLOC, OP_FREE, OP_PEEK };
struct ctx { __u32 op, page; __u64 token; __s64 ret; };

static int prog;
static sigjmp_buf jb;

static void on_segv(int sig) { siglongjmp(jb, 1); }

static void bpf(int op, int page, __u64 token)
{
	struct ctx c = {.op = op, .page = page, .token = token};
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &c, .ctx_size_in = sizeof(c));

	if (bpf_prog_test_run_opts(prog, &o) || c.ret) {
		fprintf(stderr, "repro: BPF op %d failed\n", op);
		exit(2);
	}
}

int main(void)
{
	struct sigaction sa = {.sa_handler = on_segv};
	const __u64 token = 0xa5a5a5a5deadbeefULL;
	int go[2], done[2], st;
	struct repro_bpf *skel;
	volatile __u64 *page;
	char *base;
	pid_t pid;

	setvbuf(stdout, NULL, _IONBF, 0);	/* the child leaves with _exit() */
	skel = repro_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "repro: cannot load the BPF program (root? arena support?)\n");
		return 2;
	}
	prog = bpf_program__fd(skel->progs.run);
	base = bpf_map__initial_value(skel->maps.arena, &(size_t){0});
	page = (volatile __u64 *)(base + 4096);
	bpf(OP_ALLOC, 1, token);
	if (madvise(base, 16 * 4096, MADV_DOFORK)) {
		perror("madvise(MADV_DOFORK) refused: not reproducible here");
		return 0;
	}
	if (pipe(go) || pipe(done))
		return 2;
	pid = fork();
	if (pid == 0) {
		__u64 before = *page, after = 0;	/* fault: the child's own PTE */
		char c;

		sigaction(SIGSEGV, &sa, NULL);
		write(done[1], "r", 1);
		read(go[0], &c, 1);			/* the parent freed the page */
		if (sigsetjmp(jb, 1)) {
			printf("child: page 1 faults after the free (read %#llx before): not reproduced\n",
			       (unsigned long long)before);
			_exit(0);
		}
		after = *page;
		printf("REPRODUCED: child reads %#llx from page 1 after bpf_arena_free_pages() returned "
		       "(it read %#llx before): its PTE was never zapped\n",
		       (unsigned long long)after, (unsigned long long)before);
		_exit(after == token ? 1 : 0);
	}
	madvise(base, 16 * 4096, MADV_DONTFORK);
	read(done[0], &(char){0}, 1);			/* the child mapped page 1 */
	bpf(OP_FREE, 1, 0);
	write(go[1], "f", 1);
	waitpid(pid, &st, 0);				/* the child exits before we unmap */
	return WIFEXITED(st) ? WEXITSTATUS(st) : 2;
}
