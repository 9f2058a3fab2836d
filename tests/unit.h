/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tiny test helpers in the spirit of liburing's test/: one test program per
 * file, exit 0 = pass, 1 = fail, 77 = skip.  ASSERT_* print where and why.
 */
#ifndef AS_UNIT_H
#define AS_UNIT_H
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define T_EXIT_PASS 0
#define T_EXIT_FAIL 1
#define T_EXIT_SKIP 77

static int t_failed;

#define ASSERT_TRUE(c, msg) do { if (!(c)) { t_failed++; \
	fprintf(stderr, "%s:%d: FAIL %s: %s\n", __FILE__, __LINE__, msg, #c); } } while (0)
#define ASSERT_EQ(a, b, msg) do { long long _a = (long long)(a), _b = (long long)(b); if (_a != _b) { \
	t_failed++; fprintf(stderr, "%s:%d: FAIL %s: %s == %lld, want %lld\n", __FILE__, __LINE__, msg, #a, _a, _b); } } while (0)
#define ASSERT_STR_HAS(s, sub, msg) do { if (!strstr((s), (sub))) { t_failed++; \
	fprintf(stderr, "%s:%d: FAIL %s: '%s' lacks '%s'\n", __FILE__, __LINE__, msg, (s), (sub)); } } while (0)

#define T_DONE() do { printf("%s: %s\n", __FILE__, t_failed ? "FAIL" : "PASS"); \
	return t_failed ? T_EXIT_FAIL : T_EXIT_PASS; } while (0)
#endif
