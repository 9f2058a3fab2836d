/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which arena's deferred free worker is running: the map id of the arena
 * whose free_work a fentry/fexit of arena_free_worker(struct work_struct *)
 * got, read with CO-RE (struct bpf_arena of 7.x embeds the work); 0 where
 * the kernel has no such field.  Counting per arena matters when other
 * arenas' workers run beside ours (--parallel: other scenarios' arenas), on
 * other kworkers: system-wide counts would say "done" for a run of ours
 * still in flight once a later run of another arena has finished.
 */
#ifndef AS_ARENA_WORKER_H
#define AS_ARENA_WORKER_H

#include <bpf/bpf_core_read.h>

struct bpf_arena___7x {
	struct bpf_map map;
	struct work_struct free_work;
} __attribute__((preserve_access_index));

static __always_inline __u32 as_worker_arena_id(struct work_struct *work)
{
	if (!bpf_core_field_exists(struct bpf_arena___7x, free_work))
		return 0;
	return BPF_CORE_READ((struct bpf_arena___7x *)((void *)work -
			     bpf_core_field_offset(struct bpf_arena___7x, free_work)), map.id);
}

#endif
