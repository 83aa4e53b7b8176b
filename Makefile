# ponton: a Matrix <-> WhatsApp puppeting bridge.  GNU make.
#
#   make               build ./ponton
#   make test          install what is missing, build, run every suite;
#                      ends with "N passed, N failed"
#   make test-<suite>  one suite of test/suites/ (unit cli db wa matrix e2e …)
#   make fuzz-smoke    each fuzz target briefly
#   make fuzz          longer fuzzing runs
#   make bench         benchmarks (bench/), reported, never asserted
#
# Every module is picked up by wildcard: a new .c file in a module directory,
# a new test/unit/<module>/test_*.c, test/fuzz/fuzz_*.c, bench/*.c or
# test/wasim/*.c needs no change here.

BUILD ?= build

# --- Dependencies: the one place they are listed ---------------------------
# Debian packages needed to build ponton.  xxd embeds SQL and the example
# config into the binary; libuv is the event loop libwebsockets and libcurl
# share (libwebsockets-evlib-uv is the plugin that lets lws run on it).
DEB_BUILD := build-essential pkg-config xxd \
	libsignal-protocol-c-dev libwebsockets-dev libwebsockets-evlib-uv libuv1-dev \
	libprotobuf-c-dev protobuf-c-compiler libsodium-dev libpq-dev \
	libjansson-dev libcurl4-openssl-dev libsqlite3-dev libyaml-dev libssl-dev \
	libqrencode-dev libpng-dev zlib1g-dev
# Debian packages needed only by the tests: clang + compiler-rt for libFuzzer,
# a PostgreSQL server for the storage suite, curl for the HTTP checks,
# nodejs (>= 20, with npm) for the Baileys test peer, python3 + venv for the
# Synapse the Matrix suite installs from PyPI (test/synapse/).
DEB_TEST := clang libclang-rt-14-dev postgresql curl ca-certificates sqlite3 nodejs \
	python3 python3-venv

# libprotobuf-c comes first on purpose: Debian's libsignal-protocol-c.so
# exports its bundled protobuf-c 1.1.1 (protobuf_c_* symbols), and whichever
# library is linked first provides them to the whole process.  1.1.1 crashes
# on some malformed input (test/unit/waweb/test_wa_noise_proto.c).
PKGS := libprotobuf-c libsignal-protocol-c libwebsockets libuv libsodium libpq \
	jansson libcurl sqlite3 yaml-0.1 openssl libqrencode libpng zlib

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm

# --- Flags ------------------------------------------------------------------
WARN := -Wall -Wextra -Wno-unused-parameter -Wshadow -Wformat=2 \
	-Wstrict-prototypes -Wmissing-prototypes -Wno-missing-field-initializers
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 $(WARN) \
	-I. -I$(BUILD)/gen $(PKG_CFLAGS)
REL_CFLAGS := -O2 -g
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
SAN_CFLAGS := -O1 -g $(SAN_FLAGS)
FUZZ_CC := clang
FUZZ_FLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -g -O1
CFLAGS ?=
LDFLAGS ?=
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

# --- Sources ----------------------------------------------------------------
LIB_DIRS := util crypto db waweb matrix bridge
LIB_SRC := $(filter-out bridge/main.c,$(wildcard $(addsuffix /*.c,$(LIB_DIRS))))
PROTO_SRC := $(wildcard proto/*.proto)
PROTO_GEN_C := $(patsubst proto/%.proto,$(BUILD)/gen/proto/%.pb-c.c,$(PROTO_SRC))
PROTO_GEN_H := $(PROTO_GEN_C:.c=.h)
# Files under <module>/embed/ become NUL-terminated byte arrays named
# embed_<path with / . - replaced by _> plus embed_<...>_len.
EMBED_SRC := $(wildcard $(addsuffix /embed/*,$(LIB_DIRS)))
EMBED_GEN_C := $(patsubst %,$(BUILD)/gen/embed/%.c,$(EMBED_SRC))
GEN_C := $(PROTO_GEN_C) $(EMBED_GEN_C)

UNIT_SRC := $(wildcard test/unit/*/test_*.c)
UNIT_COMMON := $(wildcard test/unit/common/*.c)
WASIM_SRC := $(wildcard test/wasim/*.c)
TOOL_SRC := $(wildcard test/tools/*.c)
FUZZ_SRC := $(wildcard test/fuzz/fuzz_*.c)
BENCH_SRC := $(wildcard bench/*.c)

obj = $(patsubst %.c,$(1)/%.o,$(2))
genobj = $(patsubst $(BUILD)/gen/%.c,$(1)/gen/%.o,$(GEN_C))

REL_LIB_OBJ := $(call obj,$(BUILD)/rel,$(LIB_SRC)) $(call genobj,$(BUILD)/rel)
SAN_LIB_OBJ := $(call obj,$(BUILD)/san,$(LIB_SRC)) $(call genobj,$(BUILD)/san)
FUZZ_LIB_OBJ := $(call obj,$(BUILD)/fuzz,$(LIB_SRC)) $(call genobj,$(BUILD)/fuzz)

UNIT_BIN := $(patsubst test/unit/%.c,$(BUILD)/san/test/unit/%,$(UNIT_SRC))
TOOL_BIN := $(patsubst test/tools/%.c,$(BUILD)/san/tools/%,$(TOOL_SRC))
FUZZ_BIN := $(patsubst test/fuzz/%.c,$(BUILD)/fuzz/bin/%,$(FUZZ_SRC))
BENCH_BIN := $(patsubst bench/%.c,$(BUILD)/rel/bench/%,$(BENCH_SRC))
WASIM_BIN := $(if $(WASIM_SRC),$(BUILD)/san/wasim $(BUILD)/rel/wasim)

.PHONY: all test fuzz-smoke fuzz bench deps print-deps test-bins clean demo
.DEFAULT_GOAL := all
.SECONDARY:

all: ponton

ponton: $(BUILD)/rel/bridge/main.o $(BUILD)/rel/libponton.a
	$(CC) $(REL_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/san/ponton: $(BUILD)/san/bridge/main.o $(BUILD)/san/libponton.a
	$(CC) $(SAN_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/%/libponton.a: 
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/rel/libponton.a: $(REL_LIB_OBJ)
$(BUILD)/san/libponton.a: $(SAN_LIB_OBJ)
$(BUILD)/fuzz/libponton.a: $(FUZZ_LIB_OBJ)

# --- Generated sources ------------------------------------------------------
$(BUILD)/gen/proto/%.pb-c.c $(BUILD)/gen/proto/%.pb-c.h: proto/%.proto
	@mkdir -p $(BUILD)/gen/proto
	protoc-c --c_out=$(BUILD)/gen/proto -Iproto $<

$(BUILD)/gen/embed/%.c: %
	@mkdir -p $(dir $@)
	@n=embed_$$(echo '$*' | tr '/.-' '___'); \
	{ echo "const unsigned char $$n[] = {"; xxd -i < $<; echo ", 0x00 };"; \
	  echo "const unsigned long $${n}_len = sizeof($$n) - 1;"; } > $@

gen: $(GEN_C) $(PROTO_GEN_H)

# --- Objects ----------------------------------------------------------------
$(BUILD)/rel/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -Wno-missing-prototypes $(REL_CFLAGS) $(CFLAGS) -c $< -o $@
$(BUILD)/san/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -Wno-missing-prototypes $(SAN_CFLAGS) $(CFLAGS) -c $< -o $@
$(BUILD)/fuzz/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(BASE_CFLAGS) -Wno-missing-prototypes $(FUZZ_FLAGS) -c $< -o $@

$(BUILD)/rel/%.o: %.c | $(PROTO_GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(REL_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/san/%.o: %.c | $(PROTO_GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(SAN_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/fuzz/%.o: %.c | $(PROTO_GEN_H)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(BASE_CFLAGS) $(FUZZ_FLAGS) -MMD -MP -c $< -o $@

# --- Test, tool, fuzz and bench binaries ------------------------------------
UNIT_COMMON_SAN := $(call obj,$(BUILD)/san,$(UNIT_COMMON))
$(BUILD)/san/test/unit/%: $(BUILD)/san/test/unit/%.o $(UNIT_COMMON_SAN) $(BUILD)/san/libponton.a
	$(CC) $(SAN_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(BUILD)/san/tools/%: $(BUILD)/san/test/tools/%.o $(BUILD)/san/libponton.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(BUILD)/san/wasim: $(call obj,$(BUILD)/san,$(WASIM_SRC)) $(BUILD)/san/libponton.a
	$(CC) $(SAN_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(BUILD)/rel/wasim: $(call obj,$(BUILD)/rel,$(WASIM_SRC)) $(BUILD)/rel/libponton.a
	$(CC) $(REL_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(BUILD)/fuzz/bin/%: $(BUILD)/fuzz/test/fuzz/%.o $(BUILD)/fuzz/libponton.a
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS)
$(BUILD)/rel/bench/%: $(BUILD)/rel/bench/%.o $(BUILD)/rel/libponton.a
	$(CC) $(REL_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

test-bins: ponton $(BUILD)/san/ponton $(UNIT_BIN) $(TOOL_BIN) $(WASIM_BIN)
fuzz-bins: $(FUZZ_BIN)
bench-bins: $(BENCH_BIN) $(BUILD)/rel/wasim

# --- Test entry points ------------------------------------------------------
# Recursive make after `deps`, so that pkg-config sees what was just installed.
deps:
	@sh test/install-deps.sh $(DEB_BUILD) $(DEB_TEST)
print-deps:
	@echo $(DEB_BUILD) $(DEB_TEST)

test: deps
	@$(MAKE) --no-print-directory -j$(JOBS) test-bins fuzz-bins
	@BUILD=$(BUILD) sh test/run.sh all
# Baileys' own e2e suite against wasim (test/peers/README.md): not part of
# `make test`, its sources are not on a registry; BAILEYS_SRC must name a
# Baileys checkout, bare git dir or tar archive.
test-baileys-e2e: deps
	@if [ -z "$(BAILEYS_SRC)" ]; then echo "make test-baileys-e2e: BAILEYS_SRC is not set (a Baileys checkout, bare git dir or tar archive; see test/peers/README.md)" >&2; exit 2; fi
	@$(MAKE) --no-print-directory -j$(JOBS) $(BUILD)/rel/wasim
	@BUILD=$(BUILD) BAILEYS_SRC="$(BAILEYS_SRC)" sh test/peers/baileys-e2e/run.sh
# make test-<suite> runs test/suites/NN-<suite>.sh; two names group suites.
SUITES_matrix := matrix bridge-matrix bridge-recover
SUITES_e2e := bridge-login bridge-e2e
test-%: deps
	@$(MAKE) --no-print-directory -j$(JOBS) test-bins
	@BUILD=$(BUILD) sh test/run.sh $(or $(SUITES_$*),$*)
fuzz-smoke: deps
	@$(MAKE) --no-print-directory fuzz-bins
	@BUILD=$(BUILD) sh test/run.sh fuzz
fuzz: deps
	@$(MAKE) --no-print-directory fuzz-bins
	@BUILD=$(BUILD) FUZZ_SECONDS=$${FUZZ_SECONDS:-120} FUZZ_SEED=$${FUZZ_SEED:-0} sh test/run.sh fuzz
bench: deps
	@$(MAKE) --no-print-directory bench-bins
	@BUILD=$(BUILD) sh bench/run.sh
demo: deps
	@$(MAKE) --no-print-directory test-bins
	@BUILD=$(BUILD) sh test/demo/demo.sh

clean:
	rm -rf $(BUILD) ponton

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
