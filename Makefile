# arena-stress: BPF arena stress tester.
#   make deps    install the toolchain (Debian 12; adds bookworm-backports)
#   make         build ./arena-stress
#   make run     deps + build + the default run (needs root)
#   make check   deps + build + every test (needs root)

CLANG    ?= clang-19
BPFTOOL  ?= bpftool
CC       ?= cc
ARCH     := x86
OUT      := build
CFLAGS   ?= -O2 -g -Wall -Wextra -Wno-unused-parameter
CPPFLAGS += -Iuser -Istress -Ibpf -I$(OUT) -D_GNU_SOURCE
LDLIBS   := -lbpf -luring -lelf -lz -lpthread

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(OUT)/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))
LIB_SRCS  := $(wildcard user/*.c) $(wildcard stress/*.c)
LIB_SRCS  := $(filter-out user/main.c,$(LIB_SRCS))
LIB_OBJS  := $(patsubst %.c,$(OUT)/%.o,$(LIB_SRCS))
UNIT_SRCS := $(wildcard tests/unit_*.c)
UNIT_BINS := $(patsubst tests/%.c,$(OUT)/tests/%,$(UNIT_SRCS))

.PHONY: all deps vm-deps run check unit bench static vm-check selftest clean
.DELETE_ON_ERROR:
.SECONDARY:

all: arena-stress

deps:
	@bash scripts/deps.sh

$(OUT)/vmlinux.h:
	@mkdir -p $(OUT)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(OUT)/%.bpf.o: bpf/%.bpf.c bpf/arena_stress.h $(OUT)/vmlinux.h
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(OUT) -Ibpf -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $*_bpf > $@

$(OUT)/%.o: %.c $(wildcard user/*.h stress/*.h) bpf/arena_stress.h $(SKELS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# The --repro templates (repro/), embedded as C strings.
REPRO_FILES := repro/repro.bpf.c repro/orphan.c repro/dofork.c repro/Makefile
$(OUT)/repro_tmpl.h: $(REPRO_FILES) scripts/embed.sh
	@mkdir -p $(OUT)
	bash scripts/embed.sh $(REPRO_FILES) > $@
$(OUT)/user/repro.o: $(OUT)/repro_tmpl.h

$(OUT)/libarena-stress.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

arena-stress: $(OUT)/user/main.o $(OUT)/libarena-stress.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# Statically linked, for the VM runner's initramfs (tests/vm/).
static: arena-stress-static
arena-stress-static: $(OUT)/user/main.o $(OUT)/libarena-stress.a
	$(CC) $(CFLAGS) -static -o $@ $^ -lbpf -luring -lelf -lz -lzstd -lpthread

vm-deps:
	@bash scripts/vm-deps.sh

$(OUT)/tests/%: tests/%.c tests/unit.h $(OUT)/libarena-stress.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests $(CFLAGS) -o $@ $< $(OUT)/libarena-stress.a $(LDLIBS)

unit: $(UNIT_BINS) $(OUT)/tests/confirm_orphan

# A run that finds violations (1) or a kernel splat (3) did its job; only a
# usage/environment error (2) fails the target.
run: deps
	$(MAKE) arena-stress
	@rc=0; ./arena-stress $(ARGS) || rc=$$?; \
	echo "arena-stress exit code $$rc (0 clean, 1 violations, 2 error, 3 kernel splat, 4 nothing ran)"; \
	[ $$rc -ne 2 ]

check: deps vm-deps
	$(MAKE) arena-stress unit static
	bash tests/run.sh

# The unsafe scenarios and a short pass of all others in a Debian 6.12 VM
# (also part of check, as tests/integ_vm.sh).
vm-check: deps vm-deps
	$(MAKE) arena-stress static
	bash tests/integ_vm.sh

# The drop-in BPF selftest, built and run inside Debian's linux-source-6.12
# selftests tree (or TREE=/path/to/linux); tests/integ_selftest.sh runs it too.
selftest: deps
	bash tests/selftests/run.sh $(if $(TREE),--tree $(TREE))

clean:
	rm -rf $(OUT) arena-stress arena-stress-static

# Independent confirmer (no engine code): tests/integ_fault_free.sh runs it.
$(OUT)/tests/confirm_orphan: tests/confirm_orphan.c $(SKELS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< -lbpf -lelf -lz -lpthread

# Benchmarks (bench/README-style numbers in README.md come from these).
$(OUT)/bench/overhead: bench/overhead.c $(OUT)/libarena-stress.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(OUT)/libarena-stress.a $(LDLIBS)

bench: arena-stress $(OUT)/bench/overhead
	bash bench/run.sh
