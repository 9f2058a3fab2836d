// SPDX-License-Identifier: GPL-2.0
/* Guarded access to arena memory: SIGSEGV/SIGBUS inside a guarded load or
 * store jumps back and returns the signal instead of killing the tool. */
#include "engine.h"

__thread struct as_guard as_tls_guard;

static void guard_handler(int sig, siginfo_t *si, void *uc)
{
	struct as_guard *g = &as_tls_guard;

	(void)uc;
	if (g->armed) {
		g->armed = 0;
		g->sig = sig;
		g->addr = (uintptr_t)si->si_addr;
		siglongjmp(g->jb, sig);
	}
	/* Not an arena access we guard: a bug in the tool. Die as usual. */
	signal(sig, SIG_DFL);
}

void as_install_signal_guard(void)
{
	struct sigaction sa = {0};

	sa.sa_sigaction = guard_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/* sigsetjmp without saving the mask (no syscall on the hot path);
 * SA_NODEFER keeps the signal unblocked after the jump.  One body for both
 * (a function using setjmp cannot be inlined: one call, not two, per access). */
#define GUARDED(access)                                 \
	do {                                            \
		struct as_guard *g = &as_tls_guard;     \
							\
		if (sigsetjmp(g->jb, 0))                \
			return g->sig;                  \
		g->armed = 1;                           \
		access;                                 \
		g->armed = 0;                           \
		return 0;                               \
	} while (0)

int as_guarded_read(volatile uint64_t *p, uint64_t *val) { GUARDED(*val = *p); }
int as_guarded_write(volatile uint64_t *p, uint64_t val) { GUARDED(*p = val); }
