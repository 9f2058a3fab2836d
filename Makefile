# arena-stress: BPF arena stress tester.
#   make deps    install the toolchain (Debian 12; adds bookworm-backports)
#   make         build ./arena-stress            (V=1 shows the commands)
#   make run     deps + build + the default run (needs root)
#   make check   deps + build + every test (needs root)
#   make mutants the mutation harness on the small 7.x VM kernels (slow)
#   make kernels the kernel matrix: every Debian minor 6.12-7.3 in the VM (slow)

CLANG    ?= clang-19
BPFTOOL  ?= bpftool
CC       ?= cc
OUT      ?= build
ARCH     ?= $(shell uname -m | sed 's/x86_64/x86/; s/aarch64/arm64/; s/ppc64le/powerpc/; s/mips.*/mips/; s/riscv64/riscv/; s/loongarch64/loongarch/')
CFLAGS   ?= -O2 -g
# warnings that a user's CFLAGS does not drop
WARN     := -Wall -Wextra -Wno-unused-parameter
CPPFLAGS += -Iuser -Istress -Ibpf -I$(OUT) -D_GNU_SOURCE
LDLIBS   := -lbpf -luring -lelf -lz -lpthread
DEPFLAGS  = -MMD -MP -MF $(@:.o=.d)

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
MAKEFLAGS += --no-print-directory
endif

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(OUT)/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))
LIB_SRCS  := $(filter-out user/main.c,$(wildcard user/*.c) $(wildcard stress/*.c))
LIB_OBJS  := $(patsubst %.c,$(OUT)/%.o,$(LIB_SRCS))
UNIT_SRCS := $(wildcard tests/unit_*.c)
UNIT_BINS := $(patsubst tests/%.c,$(OUT)/tests/%,$(UNIT_SRCS))

.PHONY: all deps vm-deps run check unit bench peers static vm-check selftest mutants kernels clean FORCE
.DELETE_ON_ERROR:
.SECONDARY:

all: arena-stress

deps:
	@bash scripts/deps.sh

# vmlinux.h follows the running kernel's BTF: its stamp changes with it
$(OUT)/btf.id: FORCE
	@mkdir -p $(OUT)
	@{ uname -r; sha256sum /sys/kernel/btf/vmlinux 2>/dev/null | cut -c1-16; } > $@.new
	@cmp -s $@.new $@ && rm -f $@.new || mv $@.new $@

$(OUT)/vmlinux.h: $(OUT)/btf.id
	$(call msg,BTF,$@)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(OUT)/%.bpf.o: bpf/%.bpf.c $(OUT)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(OUT) -Ibpf -MMD -MP -MF $(@:.o=.d) -c $< -o $@

# bpftool 7.5 gives struct_ops maps a skeleton link that libbpf 1.4's
# struct bpf_map_skeleton lacks: dropped (scenarios attach struct_ops by hand)
$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf | sed '/^\tmap->link = /d' > $@

$(OUT)/%.o: %.c | $(SKELS)
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(DEPFLAGS) -c $< -o $@

# The --repro templates (repro/), embedded as C strings.
REPRO_FILES := repro/repro.bpf.c repro/orphan.c repro/dofork.c repro/reserve.bpf.c repro/reserve.c \
	       repro/scratch.bpf.c repro/scratch.c repro/Makefile
$(OUT)/repro_tmpl.h: $(REPRO_FILES) scripts/embed.sh
	@mkdir -p $(OUT)
	$(call msg,EMBED,$@)
	$(Q)bash scripts/embed.sh $(REPRO_FILES) > $@
$(OUT)/user/repro.o: $(OUT)/repro_tmpl.h

# The known causes of violations (findings/causes.tsv), embedded: the report
# names each violation's cause from it.
$(OUT)/causes_tbl.h: findings/causes.tsv scripts/embed.sh
	@mkdir -p $(OUT)
	$(call msg,EMBED,$@)
	$(Q)bash scripts/embed.sh findings/causes.tsv > $@
$(OUT)/user/report.o: $(OUT)/causes_tbl.h

$(OUT)/libarena-stress.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

arena-stress: $(OUT)/user/main.o $(OUT)/libarena-stress.a
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# Statically linked, for the VM runner's initramfs (tests/vm/).
static: arena-stress-static
arena-stress-static: $(OUT)/user/main.o $(OUT)/libarena-stress.a
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) -static -o $@ $^ -lbpf -luring -lelf -lz -lzstd -lpthread

vm-deps:
	@bash scripts/vm-deps.sh

$(OUT)/tests/%: tests/%.c $(OUT)/libarena-stress.a
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) -Itests $(CFLAGS) $(WARN) -MMD -MP -MF $@.d -o $@ $< $(OUT)/libarena-stress.a $(LDLIBS)

unit: $(UNIT_BINS) $(OUT)/tests/confirm_orphan

# A run that finds violations (1), a kernel splat (3) or a kernel crash in
# the VM (10) did its job; a usage/environment error (2) or a VM run without
# a verdict (11 hang, 12 no boot, 13 no result) fails the target.  Where the
# host refuses BPF arena maps, the run goes to a VM on Debian's newest cloud
# kernel (tests/vm/make-run.sh); VM=no refuses that.
VM ?= yes
run: deps
	@$(MAKE) arena-stress
	@rc=0; bash tests/vm/make-run.sh $(if $(filter no,$(VM)),--no-vm) -- $(ARGS) || rc=$$?; \
	echo "arena-stress exit code $$rc (0 clean, 1 violations, 2 error, 3 kernel splat, 4 nothing ran; in a VM: 10 kernel crash, 11 hang, 12 no boot, 13 no result)"; \
	case $$rc in 2|11|12|13) exit 1 ;; esac

check: deps vm-deps
	$(MAKE) arena-stress unit static
	OUT=$(OUT) bash tests/run.sh

# The unsafe scenarios and a short pass of all others in a Debian 6.12 VM
# (also part of check, as tests/integ_vm.sh).
vm-check: deps vm-deps
	$(MAKE) arena-stress static
	bash tests/integ_vm.sh

# The drop-in BPF selftest, built and run inside Debian's linux-source-6.12
# selftests tree (or TREE=/path/to/linux); tests/integ_selftest.sh runs it too.
selftest: deps
	bash tests/selftests/run.sh $(if $(TREE),--tree $(TREE))

# The kernel matrix (tests/vm/matrix.sh): the default VM invocation and each
# finding's reproducer on the newest Debian cloud kernel of every minor,
# 6.12-7.3; the table goes to tests/vm/results-matrix.txt.  ARGS="-j 2 -d 20".
kernels: deps vm-deps
	$(MAKE) arena-stress static
	bash tests/vm/matrix.sh $(ARGS)

# The mutation harness (tests/kernel/): builds the small 7.x kernels it
# lacks, runs the default VM invocation on the base, the negative controls
# and every mutant, prints the kill matrix.  Too slow for check.
mutants: deps vm-deps
	$(MAKE) arena-stress static
	$(if $(DEBUG),AS_MUT_DEBUG=1) bash tests/kernel/mutants.sh $(MUTANTS)

clean:
	rm -rf $(OUT) arena-stress arena-stress-static

# Independent confirmer (no engine code): tests/integ_fault_free.sh runs it.
$(OUT)/tests/confirm_orphan: tests/confirm_orphan.c | $(SKELS)
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -MMD -MP -MF $@.d -o $@ $< -lbpf -lelf -lz -lpthread

# Benchmarks (the numbers in README.md come from these).
$(OUT)/bench/overhead: bench/overhead.c $(OUT)/libarena-stress.a
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -MMD -MP -MF $@.d -o $@ $< $(OUT)/libarena-stress.a $(LDLIBS)

# the same, static, for the VM (bench/vm-overhead.sh)
$(OUT)/bench/overhead-static: bench/overhead.c $(OUT)/libarena-stress.a
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -static -o $@ $< $(OUT)/libarena-stress.a -lbpf -luring -lelf -lz -lzstd -lpthread

# The peers of bench/vm-ttd.sh (bench/peer/NAME.bpf.c + NAME.c): upstream
# arena selftests' logic, written again as stand-alone libbpf programs
# (no engine code), static for the VM.
PEER_SRCS := $(wildcard bench/peer/*.bpf.c)
PEERS     := $(patsubst bench/peer/%.bpf.c,$(OUT)/bench/peer/%,$(PEER_SRCS))
$(OUT)/bench/peer/%.bpf.o: bench/peer/%.bpf.c $(OUT)/vmlinux.h
	@mkdir -p $(dir $@)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(OUT) -MMD -MP -MF $(@:.o=.d) -c $< -o $@
$(OUT)/bench/peer/%.skel.h: $(OUT)/bench/peer/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@
$(OUT)/bench/peer/%: bench/peer/%.c $(OUT)/bench/peer/%.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) -I$(OUT)/bench/peer -static -o $@ $< -lbpf -lelf -lz -lzstd -lpthread
peers: $(PEERS)

bench: arena-stress $(OUT)/bench/overhead
	OUT=$(OUT) bash bench/run.sh

-include $(wildcard $(OUT)/*.d $(OUT)/*/*.d $(OUT)/*/*/*.d)
