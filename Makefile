# SPDX-License-Identifier: GPL-2.0
# iovbench: one Makefile, out-of-tree build in $(BUILD), libbpf-bootstrap style BPF pipeline:
# vmlinux.h -> clang -target bpf -> bpftool gen object -> bpftool gen skeleton.

.DELETE_ON_ERROR:
# Skeletons and BPF objects are intermediates make would delete; keep them so builds are incremental.
.SECONDARY:
.DEFAULT_GOAL := all

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

SAN ?= 0
ifeq ($(SAN),1)
BUILD ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD ?= build
SANFLAGS :=
endif

CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' -e 's/ppc64le/powerpc/')
VERSION := 0.1.0
GIT_REV := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux

PKGS := libbpf libelf zlib jansson libpcap
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers \
	  -D_GNU_SOURCE -Iinclude -I$(BUILD) \
	  -DIOVB_VERSION='"$(VERSION)"' -DIOVB_GIT_REV='"$(GIT_REV)"' \
	  $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(SANFLAGS) -MMD -MP
LDLIBS += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm
LDFLAGS += $(SANFLAGS)

# libperf: the system's if pkg-config knows it, else built from linux-source-6.1 (once, shared
# by the normal and sanitizer builds).
ifeq ($(shell pkg-config --exists libperf 2>/dev/null && echo y),y)
LIBPERF_DEP :=
CFLAGS += $(shell pkg-config --cflags libperf)
LDLIBS := $(shell pkg-config --libs libperf) $(LDLIBS)
else
LIBPERF_DIR := build/libperf
LIBPERF_DEP := $(LIBPERF_DIR)/lib/libperf.a
CFLAGS += -I$(LIBPERF_DIR)/include
LDLIBS := $(LIBPERF_DIR)/lib/libperf.a $(LIBPERF_DIR)/lib/libapi.a $(LDLIBS)
endif

BPF_SRCS := $(wildcard collectors/*.bpf.c)
BPF_OBJS := $(patsubst %.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst %.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
LIB_SRCS := $(filter-out %.bpf.c bench/main.c,$(wildcard bench/*.c collectors/*.c report/*.c))
LIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRCS))
LIB := $(BUILD)/libiovb.a
BIN := $(BUILD)/iovbench
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
# Root-only cmocka programs (real BPF loads, namespaces), run by tests/run-integ.sh.
INTEG_SRCS := $(wildcard tests/integ/*.c)
INTEG_BINS := $(patsubst tests/integ/%.c,$(BUILD)/tests/integ/%,$(INTEG_SRCS))

.PHONY: all deps run check clean format format-check help
all: $(BIN) $(UNIT_BINS) $(INTEG_BINS)

help:
	@echo "make            build $(BIN)"
	@echo "make deps       install build/run/test dependencies (Debian 12, as root)"
	@echo "make run        deps + build + 'iovbench run' on the emulated default + report"
	@echo "make check      deps + build + unit tests + root integration tests + sanitizer build"
	@echo "make V=1        show full commands; SAN=1 builds with ASan+UBSan into build-san/"

deps:
	$(Q)scripts/deps.sh

$(BUILD)/vmlinux.h: | $(BUILD)
	$(call msg,BTF,$@)
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@

$(BUILD)/%.bpf.o: %.bpf.c $(BUILD)/vmlinux.h $(wildcard collectors/*.h)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_$(ARCH) -I$(BUILD) -Icollectors \
		-c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp
	$(Q)rm -f $@.tmp

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

$(LIBPERF_DEP): scripts/libperf.sh
	$(call msg,LIBPERF,$(LIBPERF_DIR))
	$(Q)scripts/libperf.sh $(LIBPERF_DIR) >/dev/null

# User objects may include any skeleton; generating all first keeps the rule simple.
$(BUILD)/%.o: %.c $(SKELS) | $(LIBPERF_DEP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -I$(BUILD)/collectors -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN): $(BUILD)/bench/main.o $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/unit/%.c $(LIB) | $(LIBPERF_DEP)
	$(call msg,CC-TEST,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -I$(BUILD)/collectors $(LDFLAGS) $< $(LIB) $(LDLIBS) -lcmocka -o $@

$(BUILD)/tests/integ/%: tests/integ/%.c $(LIB) | $(LIBPERF_DEP)
	$(call msg,CC-TEST,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -I$(BUILD)/collectors $(LDFLAGS) $< $(LIB) $(LDLIBS) -lcmocka -o $@

$(BUILD):
	$(Q)mkdir -p $@

# `make run`: the main job on the emulated default, then its report.
RUN_ARGS ?=
# The record and its report (text on the terminal; HTML, Markdown and plots in a folder beside it).
run: deps $(BIN)
	$(Q)mkdir -p results; stamp=$$(date -u +%Y%m%dT%H%M%SZ); \
	./$(BIN) run --report $(RUN_ARGS) -o results/$$stamp-run.json.gz && \
	./$(BIN) report -o results/$$stamp-run.report results/$$stamp-run.json.gz

# The sanitizer build runs the unit tests and the binary's no-root paths under ASan+UBSan.
check: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory SAN=1 $(BIN:build/%=build-san/%) $(UNIT_BINS:build/%=build-san/%)
	$(Q)tests/check.sh

format:
	$(Q)clang-format -i $$(git ls-files '*.c' '*.h')
format-check:
	$(Q)clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-san

-include $(wildcard $(BUILD)/*/*.d $(BUILD)/tests/*.d $(BUILD)/tests/integ/*.d)

# ---- install, uninstall, man (issue 9) ------------------------------------------------------
# GNU-style directories under PREFIX, all prefixed by DESTDIR when copying (packaging, tests).
# install only copies: it never builds, so it cannot race a build running beside it (make check
# runs it); build first with `make`. Man pages are plain man(7) roff in docs/man, with the
# version filled in at copy time. Data files (data/*) go to $(iovbdatadir), where the program
# looks them up relative to its own location.
PREFIX ?= /usr/local
DESTDIR ?=
INSTALL ?= install
bindir ?= $(PREFIX)/bin
datarootdir ?= $(PREFIX)/share
man1dir ?= $(datarootdir)/man/man1
bashcompdir ?= $(datarootdir)/bash-completion/completions
iovbdatadir ?= $(datarootdir)/iovbench
MAN_SRCS := $(wildcard docs/man/*.1)
MAN_PAGES := $(patsubst docs/man/%,$(BUILD)/man/%,$(MAN_SRCS))

.PHONY: install uninstall man
install:
	$(Q)test -x $(BIN) || { echo "install: no $(BIN): run 'make' first" >&2; exit 2; }
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)$(INSTALL) -d $(DESTDIR)$(bindir) $(DESTDIR)$(man1dir) $(DESTDIR)$(bashcompdir)
	$(Q)$(INSTALL) -m 755 $(BIN) $(DESTDIR)$(bindir)/iovbench
	$(Q)for p in $(MAN_SRCS); do \
		sed 's/@VERSION@/$(VERSION)/g' $$p > $(DESTDIR)$(man1dir)/$${p##*/} && \
		chmod 644 $(DESTDIR)$(man1dir)/$${p##*/} || exit 1; \
	done
	$(Q)$(INSTALL) -m 644 scripts/bash-completion/iovbench $(DESTDIR)$(bashcompdir)/iovbench
	$(Q)for f in data/*; do \
		[ -f "$$f" ] || continue; \
		$(INSTALL) -d $(DESTDIR)$(iovbdatadir) && \
		$(INSTALL) -m 644 "$$f" $(DESTDIR)$(iovbdatadir)/ || exit 1; \
	done

uninstall:
	$(call msg,UNINSTALL,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(DESTDIR)$(bindir)/iovbench $(DESTDIR)$(bashcompdir)/iovbench
	$(Q)for p in $(MAN_SRCS); do rm -f $(DESTDIR)$(man1dir)/$${p##*/}; done
	$(Q)for f in data/*; do \
		[ -f "$$f" ] && rm -f "$(DESTDIR)$(iovbdatadir)/$${f##*/}"; \
	done; true
	$(Q)if [ -d $(DESTDIR)$(iovbdatadir) ]; then rmdir $(DESTDIR)$(iovbdatadir) 2>/dev/null || true; fi

# `make man`: the pages with the version filled in, in $(BUILD)/man, each checked to render at
# 80 columns with no groff or man warning. Read one with: man -l build/man/iovbench-run.1
man: $(MAN_PAGES)
	$(Q)for p in $(MAN_PAGES); do \
		out=$$(MANWIDTH=80 man --warnings -l $$p 2>&1 >/dev/null); \
		if [ -n "$$out" ]; then echo "$$p:"; echo "$$out"; exit 1; fi; \
	done

$(BUILD)/man/%.1: docs/man/%.1 | $(BUILD)
	$(call msg,MAN,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)sed 's/@VERSION@/$(VERSION)/g' $< > $@
