// SPDX-License-Identifier: GPL-2.0
/* The coherence oracle's verdicts on injected views, the kernel-log matcher,
 * nonces and pagemap decoding. */
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

	ASSERT_TRUE(fd >= 0 && p != MAP_FAILED, "pagemap and a test mapping");
	p[0] = 1;	/* page 0 present, page 1 never touched */
	ASSERT_EQ(as_pagemap_read(fd, (uintptr_t)p, 2, pm), 0, "pagemap read");
	ASSERT_TRUE(pm[0] & PM_PRESENT, "touched page is present");
	ASSERT_TRUE(!(pm[1] & PM_PRESENT), "untouched page is not present");
	if (geteuid() == 0)
		ASSERT_TRUE((pm[0] & PM_PFN_MASK) != 0, "root sees the PFN");
	munmap(p, 2 * 4096);
	close(fd);
}

int main(void)
{
	judge();
	kmsg();
	nonces();
	pagemap();
	T_DONE();
}
