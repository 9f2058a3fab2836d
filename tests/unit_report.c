// SPDX-License-Identifier: GPL-2.0
/* The report: violations are counted and kept, the table shows them, and
 * the JSON is valid (checked by python3's parser) and carries the evidence. */
#include <stdlib.h>
#include <unistd.h>
#include "report.h"
#include "unit.h"

static const char *const names[] = {"alloc", "free", "faults", "sweep"};

int main(void)
{
	static struct as_report r[2];
	struct as_violation v = {0};
	char path[] = "/tmp/as-unit-json-XXXXXX", cmd[2048], buf[8192];
	FILE *f;
	int fd;

	as_report_init(&r[0], "fault-free", 1234);
	r[0].status = AS_RAN;
	r[0].nctr = 4;
	r[0].ctr_name = names;
	r[0].ctr[0] = 10, r[0].ctr[1] = 9, r[0].ctr[2] = 8, r[0].ctr[3] = 2;
	for (int i = 0; i < AS_REP_KEEP_ANY + 4; i++) {
		v.kind = i % 2 ? V_COHERENCE : V_STALE_FREE;
		v.t_ns = 5000000 + i;
		v.pgoff = i;
		v.addr = 0x100000000000ULL + i * 4096;
		snprintf(v.saw, sizeof(v.saw), "user wrote \"%d\"\nBPF read \\0", i);
		v.pfn_user = 0x1234;
		v.confirmed = true;
		as_report_add(&r[0], &v);
	}
	ASSERT_EQ(r[0].nviol, AS_REP_KEEP_ANY + 4, "all violations counted");
	ASSERT_EQ(r[0].nkept, AS_REP_KEEP_ANY, "the first AS_REP_KEEP_ANY kept in full");
	{	/* a rare kind after many common ones keeps its evidence */
		static struct as_report rare;

		as_report_init(&rare, "gup", 1);
		for (int i = 0; i < 40; i++) {
			v.kind = i == 30 || i == 31 ? V_UNREACHABLE : V_STALE_FREE;
			as_report_add(&rare, &v);
		}
		ASSERT_EQ(rare.nkept, AS_REP_KEEP_ANY + 1, "the first of a later kind is kept, only the first");
		ASSERT_EQ(rare.v[AS_REP_KEEP_ANY].kind, V_UNREACHABLE, "and it is the rare one");
		ASSERT_EQ(rare.nviol, 40, "all still counted");
	}
	ASSERT_EQ(r[0].by_kind[V_COHERENCE], (AS_REP_KEEP_ANY + 4) / 2, "counted by kind");
	ASSERT_EQ(r[0].first_ns, 5000000, "time to first detection");

	as_report_init(&r[1], "other", 1234);
	r[1].status = AS_SKIPPED;
	snprintf(r[1].why, sizeof(r[1].why), "kernel lacks \"x\"");

	fd = mkstemp(path);
	f = fdopen(fd, "w+");
	as_report_table(f, r, 2);
	ASSERT_EQ(as_report_json(f, r, 2, "6.18.0-test", 1), 0, "json written");
	fflush(f);
	rewind(f);
	buf[fread(buf, 1, sizeof(buf) - 1, f)] = 0;
	ASSERT_STR_HAS(buf, "fault-free     ran", "table row");
	ASSERT_STR_HAS(buf, "coherence=10 stale-free-mapping=10", "table kinds");
	ASSERT_STR_HAS(buf, "skipped", "skip row");
	fclose(f);

	/* JSON alone, through a real parser */
	f = fopen(path, "w");
	as_report_json(f, r, 2, "6.18.0-test", 1);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json,sys; d=json.load(open(\"%s\")); s=d[\"scenarios\"];"
		 "assert d[\"exit_code\"]==1 and d[\"kernel\"]==\"6.18.0-test\";"
		 "assert s[0][\"violations_total\"]==20 and len(s[0][\"violations\"])==16;"
		 "v=s[0][\"violations\"][1]; assert v[\"kind\"]==\"coherence\" and v[\"confirmed\"] is True;"
		 "assert v[\"saw\"].startswith(\"user wrote \\\"1\\\"\\nBPF\");"
		 "assert v[\"repro\"]==\"arena-stress --scenario fault-free --seed 1234\";"
		 "assert s[0][\"counters\"][\"alloc\"]==10 and s[0][\"first_detection_ms\"]==5.0;"
		 "assert s[1][\"status\"]==\"skipped\" and s[1][\"reason\"]==\"kernel lacks \\\"x\\\"\"'", path);
	ASSERT_EQ(system(cmd), 0, "JSON parses and carries the evidence");
	unlink(path);
	T_DONE();
}
