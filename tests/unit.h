/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tiny test helpers in the spirit of liburing's test/ and the BPF
 * selftests: one test program per file, exit 0 = pass, 1 = fail, 77 = skip.
 * ASSERT_* print where and why, count the failure, and evaluate to whether
 * the assertion held, so that a test stops where going on would be wrong:
 *	if (!ASSERT_TRUE(p != MAP_FAILED, "mapping"))
 *		return;
 */
#ifndef AS_UNIT_H
#define AS_UNIT_H
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define T_EXIT_PASS 0
#define T_EXIT_FAIL 1
#define T_EXIT_SKIP 77

static int t_failed;

#define ASSERT_TRUE(c, msg) ({ bool _ok = (c); if (!_ok) { t_failed++; \
	fprintf(stderr, "%s:%d: FAIL %s: %s\n", __FILE__, __LINE__, msg, #c); } _ok; })
#define ASSERT_EQ(a, b, msg) ({ long long _a = (long long)(a), _b = (long long)(b); bool _ok = _a == _b; \
	if (!_ok) { t_failed++; fprintf(stderr, "%s:%d: FAIL %s: %s == %lld, want %lld\n", \
				     __FILE__, __LINE__, msg, #a, _a, _b); } _ok; })
#define ASSERT_STR_HAS(s, sub, msg) ({ bool _ok = strstr((s), (sub)) != NULL; if (!_ok) { t_failed++; \
	fprintf(stderr, "%s:%d: FAIL %s: '%s' lacks '%s'\n", __FILE__, __LINE__, msg, (s), (sub)); } _ok; })

#define T_DONE() do { printf("%s: %s\n", __FILE__, t_failed ? "FAIL" : "PASS"); \
	return t_failed ? T_EXIT_FAIL : T_EXIT_PASS; } while (0)
#endif
