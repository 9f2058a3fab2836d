// SPDX-License-Identifier: GPL-2.0
/* The coherence oracle's verdicts on injected views, the kernel-log matcher,
 * nonces and pagemap decoding. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <unistd.h>
#include "oracle.h"
#include "unit.h"

static struct as_view coherent_alloc(void)
{
	struct as_view v = {0};

	v.allocated = true;
	v.segv_on_fault = true;
	v.exp_token = 0xa500000000010005ULL;
	v.bpf_token = v.exp_token;
	v.unonce = v.bpf_unonce = as_nonce(1, 1, 5, 0);
	v.bnonce = v.user_bnonce = as_nonce(1, 1, 5, 1);
	v.pte_present = true;
	v.pfn = 0x1234;
	return v;
}

static void judge(void)
{
	char why[320];
	struct as_view v;

	v = coherent_alloc();
	ASSERT_EQ(as_judge_page(&v, why, sizeof(why)), V_NONE, "coherent allocated page passes");

	v = coherent_alloc();	/* user wrote into a page BPF no longer sees */
	v.bpf_unonce = 0;
	ASSERT_EQ(as_judge_page(&v, why, sizeof(why)), V_COHERENCE, "user->BPF divergence caught");
	ASSERT_STR_HAS(why, "BPF read 0", "report says what BPF saw");

	v = coherent_alloc();	/* BPF wrote, user reads an old page */
	v.user_bnonce = 0;
	ASSERT_EQ(as_judge_page(&v, why, sizeof(why)), V_COHERENCE, "BPF->user divergence caught");

	v = coherent_alloc();
	v.bpf_token = 0;
	ASSERT_EQ(as_judge_page(&v, why, sizeof(why)), V_TOKEN, "lost BPF token caught");

	v = coherent_alloc();
	v.uwrite_sig = SIGSEGV;
	ASSERT_EQ(as_judge_page(&v, why, sizeof(why)), V_UNREACHABLE, "SIGSEGV on allocated page caught");
	ASSERT_STR_HAS(why, "signal 11", "signal named");

	memset(&v, 0, sizeof(v));	/* free page, SEGV_ON_FAULT, faults as it must */
	v.segv_on_fault = v.probed = true;
	v.probe_sig = SIGSEGV;
	ASSERT_EQ(as_judge_page(&v, why, sizeof(why)), V_NONE, "free page that faults passes");

	v.probe_sig = 0;		/* ... but it was readable */
	v.probe_val = 0xa500000000010005ULL;
	ASSERT_EQ(as_judge_page(&v, why, sizeof(why)), V_STALE_FREE, "readable free page caught");
	ASSERT_STR_HAS(why, "0xa500000000010005", "report quotes the stale contents");

	memset(&v, 0, sizeof(v));	/* free page, no SEGV_ON_FAULT: not probed */
	ASSERT_EQ(as_judge_page(&v, why, sizeof(why)), V_NONE, "unprobed free page without PTE passes");
	v.pte_present = true;
	v.pfn = 0x99;
	ASSERT_EQ(as_judge_page(&v, why, sizeof(why)), V_STALE_FREE, "free page with a user PTE caught");
}

/* A kernel-path op on an allocation that stayed put: consistent as built. */
static struct as_kview kop_same(enum as_kop_kind kind)
{
	struct as_kview k = {0};

	k.kind = kind;
	k.segv_on_fault = true;
	k.stable = k.allocated = true;
	k.t_now = 0xa500000000070009ULL;
	k.ref_known = k.ref_alloc = true;
	k.t_ref = k.t_now;
	k.mark = 0x3c00000100000001ULL;
	k.val = kind == AS_KOP_READ ? k.t_now : kind == AS_KOP_WRITE ? k.mark : 0;
	return k;
}

static void judge_kop(void)
{
	const char *path = "io_uring READ_FIXED";
	char why[320];
	struct as_kview k;

	k = kop_same(AS_KOP_READ);
	ASSERT_EQ(as_judge_kop(&k, path, why, sizeof(why)), V_NONE, "kernel read of the right token passes");
	k.val = 0xa500000000060009ULL;	/* went through a stale PTE */
	ASSERT_EQ(as_judge_kop(&k, path, why, sizeof(why)), V_COHERENCE, "kernel read of an old token caught");
	ASSERT_STR_HAS(why, "0xa500000000060009", "report quotes what the kernel read");
	ASSERT_STR_HAS(why, path, "report names the kernel path");
	k.stable = false;		/* raced a free: undecidable */
	ASSERT_EQ(as_judge_kop(&k, path, why, sizeof(why)), V_NONE, "unstable allocation is not judged");

	k = kop_same(AS_KOP_WRITE);
	ASSERT_EQ(as_judge_kop(&k, path, why, sizeof(why)), V_NONE, "kernel write BPF sees passes");
	k.val = 0;			/* BPF does not see it */
	ASSERT_EQ(as_judge_kop(&k, path, why, sizeof(why)), V_COHERENCE, "kernel write BPF misses caught");

	/* pinned before the address was freed and re-allocated */
	k = kop_same(AS_KOP_WRITE);
	k.pinned = true;
	k.t_ref = 0xa500000000050009ULL;
	k.val = 0;
	ASSERT_EQ(as_judge_kop(&k, path, why, sizeof(why)), V_NONE, "old pin's write stays in the old page");
	k.val = k.mark;
	ASSERT_EQ(as_judge_kop(&k, path, why, sizeof(why)), V_PIN, "old pin's write in the new page caught");
	k.ref_known = false;		/* the pin's allocation is unknown */
	ASSERT_EQ(as_judge_kop(&k, path, why, sizeof(why)), V_NONE, "unknown pin allocation is not judged");
	k = kop_same(AS_KOP_READ);
	k.pinned = true;
	k.t_ref = 0xa500000000050009ULL;
	k.val = k.t_ref;
	ASSERT_EQ(as_judge_kop(&k, path, why, sizeof(why)), V_NONE, "old pin reads the old token");
	k.val = k.t_now;
	ASSERT_EQ(as_judge_kop(&k, path, why, sizeof(why)), V_PIN, "old pin reading the new token caught");

	/* free pages (BPF_F_SEGV_ON_FAULT): the kernel must not reach them */
	k = kop_same(AS_KOP_RESOLVE);
	k.allocated = k.ref_alloc = false;
	ASSERT_EQ(as_judge_kop(&k, path, why, sizeof(why)), V_STALE_FREE, "pinning a freed address caught");
	k.err = -EFAULT;
	ASSERT_EQ(as_judge_kop(&k, path, why, sizeof(why)), V_NONE, "EFAULT on a freed address passes");
	k.segv_on_fault = false;
	k.err = 0;
	ASSERT_EQ(as_judge_kop(&k, path, why, sizeof(why)), V_NONE, "without SEGV_ON_FAULT a fault allocates");
	k = kop_same(AS_KOP_READ);
	k.allocated = k.ref_alloc = false;
	ASSERT_EQ(as_judge_kop(&k, path, why, sizeof(why)), V_STALE_FREE, "reading a freed token caught");
	k.val = 0;
	ASSERT_EQ(as_judge_kop(&k, path, why, sizeof(why)), V_NONE, "a zero read of a free page passes");

	/* the kernel could not reach a page BPF kept allocated */
	k = kop_same(AS_KOP_WRITE);
	k.err = -EFAULT;
	ASSERT_EQ(as_judge_kop(&k, path, why, sizeof(why)), V_UNREACHABLE, "EFAULT on an allocated page caught");
	k.err = -EAGAIN;
	ASSERT_EQ(as_judge_kop(&k, path, why, sizeof(why)), V_NONE, "other errors say nothing about the page");
}

static void kmsg(void)
{
	static const char *const bad[] = {
		"4,1234,5678,-;WARNING: CPU: 1 PID: 42 at mm/memory.c:1234 zap_pte_range+0x1/0x2",
		"1,99,1,-;BUG: Bad page map in process arena-stress  pte:8000000123456067",
		"3,5,6,-;BUG: Bad rss-counter state mm:0000 type:MM_FILEPAGES val:-1",
		"3,5,6,-;mm/pgtable-generic.c:53: bad pmd 000000001234(0000000000000001)",
		"4,7,8,-;Oops: general protection fault, probably for non-canonical address",
		"3,9,9,-;list_del corruption. prev->next should be ffff, but was dead",
		"3,9,9,-;INFO: task kworker/0:1:12 blocked for more than 122 seconds.",
		"3,9,9,-;BUG: Bad page state in process swapper  pfn:1234",
	};
	static const char *const good[] = {
		"6,1,2,-;bpf: arena map created",
		"6,1,2,-;audit: type=1334 audit(0.0:1): prog-id=12 op=LOAD",
		"6,1,2,-;EXT4-fs (sda1): mounted filesystem",
		"6,1,2,-;arena-stress: nothing to see",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ASSERT_TRUE(as_kmsg_match(bad[i]), bad[i]);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ASSERT_TRUE(!as_kmsg_match(good[i]), good[i]);
}

static void nonces(void)
{
	uint64_t a = as_nonce(7, 1, 3, 0), b = as_nonce(7, 1, 3, 1), c = as_nonce(7, 2, 3, 0),
		 d = as_nonce(7, 1, 4, 0), e = as_nonce(8, 1, 3, 0);

	ASSERT_TRUE(a && b && c && d && e, "nonces are never zero");
	ASSERT_TRUE(a != b && a != c && a != d && a != e, "nonces differ by direction, sweep, page, seed");
	ASSERT_TRUE((a >> 56) != 0xA5, "a nonce never looks like a token");
	ASSERT_EQ(as_nonce(7, 1, 3, 0), a, "nonces are reproducible from the seed");
}

static void pagemap(void)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	char *p = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t pm[2];

	if (!ASSERT_TRUE(fd >= 0 && p != MAP_FAILED, "pagemap and a test mapping"))
		return;
	p[0] = 1;	/* page 0 present, page 1 never touched */
	if (!ASSERT_EQ(as_pagemap_read(fd, (uintptr_t)p, 2, pm), 0, "pagemap read"))
		return;
	ASSERT_TRUE(pm[0] & PM_PRESENT, "touched page is present");
	ASSERT_TRUE(!(pm[1] & PM_PRESENT), "untouched page is not present");
	if (geteuid() == 0)
		ASSERT_TRUE((pm[0] & PM_PFN_MASK) != 0, "root sees the PFN");
	munmap(p, 2 * 4096);
	close(fd);
}

/* The cgroup file helpers behind the arena's own memcg (nomem): a number
 * read back as written, a missing file -1 / -errno. */
static void cg_files(void)
{
	char dir[] = "/tmp/as-unit-cg-XXXXXX";

	if (!ASSERT_TRUE(mkdtemp(dir) != NULL, "a temporary directory"))
		return;
	ASSERT_EQ(as_cg_get(dir, "memory.current"), -1, "no file: -1");
	ASSERT_EQ(as_cg_put(dir, "no/such/file", "1"), -ENOENT, "no file to write: -ENOENT");
	close(open(strcat(strcpy((char[64]){0}, dir), "/memory.max"), O_CREAT | O_WRONLY, 0644));
	ASSERT_EQ(as_cg_put(dir, "memory.max", "123456789"), 0, "write a limit");
	ASSERT_EQ(as_cg_get(dir, "memory.max"), 123456789, "read it back");
	ASSERT_EQ(as_cg_put(dir, "memory.max", "max"), 0, "write max");
	unlink(strcat(strcpy((char[64]){0}, dir), "/memory.max"));
	rmdir(dir);
}

int main(void)
{
	cg_files();
	judge();
	judge_kop();
	kmsg();
	nonces();
	pagemap();
	T_DONE();
}
