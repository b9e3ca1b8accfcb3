# ptm — implanted drug pump emulator (pumpd) and its patient remote (ptm).
#
#   make            build every program and library that exists
#   make test       install missing Debian packages, build, run every suite
#   make asan       the same tests under AddressSanitizer + UBSan (build-asan/)
#   make valgrind   the unit suites under valgrind (memcheck, leaks are errors)
#   make fuzz       build the libFuzzer targets with clang, run each briefly
#   make bench      benchmarks, each figure beside its anchor
#   make soak       kill -9 rounds, floods, a full disk, a second daemon (~6 min)
#   make trace      the safety case: hazard -> requirement -> test matrix
#   make prove      Frama-C EVA over the pump model (prove/; minutes)
#   make demo       build, start pumpd on a demo prescription, open ptm
#   make demo-clinic  beside it: the demo pump's visit report, the clinician's commands
#   make install    PREFIX=/usr/local DESTDIR= ; make clean
#   make version    print the version (util/version.h)
#
# V=1 shows full commands.  WERROR=1 turns warnings into errors (CI does).
#
# Layout (see DESIGN.md): every directory is a small library with a prefix per
# file; a directory's program entry points are listed in *_MAINS below and
# are kept out of its library.  Dependencies point one way, and each program
# links only the libraries below it (the linker refuses an arrow back up):
#   tui, tools -> tools/scenario -> net -> crypto ;  pumpd/cli -> pumpd ->
#   pump, net, crypto ;  all -> util
# (pump/ and util/: the C library only; util/version.h holds the version)

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR  ?= $(PREFIX)/share/man
DESTDIR ?=
BUILD   ?= build
CC      ?= cc
PKG_CONFIG ?= pkg-config

PKGS := libsodium libuv ncursesw sqlite3 jansson
# the libraries each program links (pkg-config names)
PKGS_PUMPD  := libsodium libuv sqlite3
PKGS_PTM    := libsodium libuv ncursesw
PKGS_PTMCTL := libsodium libuv jansson
VERSION := $(shell sed -n 's/^\#define PTM_VERSION "\(.*\)"/\1/p' util/version.h)
TEST_PKGS := criterion

ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-6s %s\n' $(1) $(2)
endif

WARN := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes \
        -Wmissing-prototypes -Wvla -Wundef -Wcast-qual -Wpointer-arith
ifeq ($(WERROR),1)
WARN += -Werror
endif

OPT      ?= -O2 -g
SAN      ?=
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
libs_of = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null) -lm $(LDLIBS)
TEST_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(TEST_PKGS) 2>/dev/null)
TEST_LIBS   := $(shell $(PKG_CONFIG) --libs $(TEST_PKGS) 2>/dev/null)

ALL_CFLAGS  = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
              -I. $(WARN) $(OPT) $(SAN) $(PKG_CFLAGS) $(XCFLAGS) \
              -MMD -MP $(CFLAGS)
ALL_LDFLAGS = $(SAN) $(LDFLAGS)
LIBS_ALL    = $(PKG_LIBS) -lm $(LDLIBS)
# the test framework's flags reach test objects only
$(BUILD)/obj/tests/%.o: XCFLAGS = $(TEST_CFLAGS)

# ---- sources ---------------------------------------------------------------

PUMPD_MAINS := pumpd/cli/main.c
TUI_MAINS   := tui/main.c
TOOLS_MAINS := tools/ptmctl.c

UTIL_SRC   := $(wildcard util/*.c)
CRYPTO_SRC := $(wildcard crypto/*.c)
NET_SRC    := $(wildcard net/*.c)
PUMP_SRC   := $(wildcard pump/*.c)
PUMPD_SRC  := $(wildcard pumpd/*.c)
PDCLI_SRC  := $(filter-out $(PUMPD_MAINS),$(wildcard pumpd/cli/*.c))
TUI_SRC    := $(filter-out $(TUI_MAINS),$(wildcard tui/*.c))
TOOLS_SRC  := $(filter-out $(TOOLS_MAINS),$(wildcard tools/*.c))
SCN_SRC    := $(wildcard tools/scenario/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIB_UTIL   := $(BUILD)/libptm_util.a
LIB_CRYPTO := $(BUILD)/libptm_crypto.a
LIB_NET    := $(BUILD)/libptm_net.a
LIB_PUMP   := $(BUILD)/libptm_pump.a
LIB_PUMPD  := $(BUILD)/libptm_pumpd.a
LIB_PDCLI  := $(BUILD)/libptm_pumpd_cli.a
LIB_TUI    := $(BUILD)/libptm_tui.a
LIB_TOOLS  := $(BUILD)/libptm_tools.a
LIB_SCN    := $(BUILD)/libptm_scenario.a
# Link sets, users before what they use: each program's own.
LINK_PUMP   := $(LIB_PUMP)
LINK_PUMPD  := $(LIB_PDCLI) $(LIB_PUMPD) $(LIB_PUMP) $(LIB_NET) $(LIB_CRYPTO) $(LIB_UTIL)
LINK_PTM    := $(LIB_TUI) $(LIB_NET) $(LIB_CRYPTO) $(LIB_UTIL)
LINK_PTMCTL := $(LIB_TOOLS) $(LIB_SCN) $(LIB_NET) $(LIB_CRYPTO) $(LIB_UTIL)
# tests, benches and the soak may reach any layer
LINK_LIBS   := $(LIB_TOOLS) $(LIB_SCN) $(LIB_TUI) $(LIB_PDCLI) $(LIB_PUMPD) $(LIB_PUMP) $(LIB_NET) $(LIB_CRYPTO) $(LIB_UTIL)

PROGS :=
ifneq ($(wildcard pumpd/cli/main.c),)
PROGS += $(BUILD)/pumpd
endif
ifneq ($(wildcard tui/main.c),)
PROGS += $(BUILD)/ptm
endif
ifneq ($(wildcard tools/ptmctl.c),)
PROGS += $(BUILD)/ptmctl
endif

TEST_SRC  := $(wildcard tests/test_*.c)
# the test library (tests/lib): linked into every suite; its e2e_* files (a
# private pumpd, a blocking remote) need no Criterion: benches and the soak
# link them too
TEST_HELP := $(wildcard tests/lib/*.c)
TEST_E2E  := $(wildcard tests/lib/e2e*.c)
TESTS     := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))
# the Noise vector runner as a program: tests/run.sh runs it on tests/vectors
NOISEVEC_SRC := tests/noisevec.c $(wildcard tests/lib/noisevec*.c)
NOISEVEC  := $(if $(wildcard tests/noisevec.c),$(BUILD)/tests/noisevec)
BENCH_SRC := $(wildcard bench/bench_*.c)
BENCHES   := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
# programs the benchmarks start or run after (echod: the floors; summary:
# the closing table); bench/run.sh runs only bench_*
BENCH_PROG_SRC := bench/echod.c bench/summary.c
BENCH_PROGS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_PROG_SRC))

.PHONY: all progs all-tests deps test-deps test unit asan valgrind fuzz bench demo demo-clinic install \
        uninstall clean version soak trace prove
.DEFAULT_GOAL := all
# keep object files that pattern chains would treat as intermediate
.SECONDARY:

# Recursive so that pkg-config runs after scripts/deps.sh installed the packages.
all: deps
	@$(MAKE) --no-print-directory progs

progs: $(PROGS)

version:
	@echo $(VERSION)

# ---- dependencies (Debian packages) ----------------------------------------

deps:
	@sh scripts/deps.sh build

test-deps:
	@sh scripts/deps.sh test

# ---- libraries and programs ------------------------------------------------

$(BUILD)/obj/%.o: %.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

define mklib
$(1): $(call obj,$(2))
	$$(call say,AR,$$@)
	@mkdir -p $$(dir $$@)
	$$(Q)rm -f $$@ && ar rcs $$@ $$^
endef
# the shipped drug library, built into pumpd (pumpd/druglib_shipped.c)
$(BUILD)/gen/druglib_shipped.inc: data/druglib.txt
	$(call say,GEN,$@)
	@mkdir -p $(dir $@)
	$(Q)od -An -v -tx1 $< | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g' > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/pumpd/druglib_shipped.o: $(BUILD)/gen/druglib_shipped.inc
$(BUILD)/obj/pumpd/druglib_shipped.o: XCFLAGS = -I$(BUILD)/gen

$(eval $(call mklib,$(LIB_UTIL),$(UTIL_SRC)))
$(eval $(call mklib,$(LIB_CRYPTO),$(CRYPTO_SRC)))
$(eval $(call mklib,$(LIB_NET),$(NET_SRC)))
$(eval $(call mklib,$(LIB_PUMP),$(PUMP_SRC)))
$(eval $(call mklib,$(LIB_PUMPD),$(PUMPD_SRC)))
$(eval $(call mklib,$(LIB_PDCLI),$(PDCLI_SRC)))
$(eval $(call mklib,$(LIB_TUI),$(TUI_SRC)))
$(eval $(call mklib,$(LIB_TOOLS),$(TOOLS_SRC)))
$(eval $(call mklib,$(LIB_SCN),$(SCN_SRC)))

$(BUILD)/pumpd: $(call obj,pumpd/cli/main.c) $(LINK_PUMPD)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LINK_PUMPD) $(call libs_of,$(PKGS_PUMPD))
$(BUILD)/ptm: $(call obj,tui/main.c) $(LINK_PTM)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LINK_PTM) $(call libs_of,$(PKGS_PTM))
$(BUILD)/ptmctl: $(call obj,tools/ptmctl.c) $(LINK_PTMCTL)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LINK_PTMCTL) $(call libs_of,$(PKGS_PTMCTL))

TEST_HELP_OBJ := $(call obj,$(TEST_HELP))
# The pump model's own suites link the model alone: it needs nothing else.
PUMP_TESTS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/test_pump.c tests/test_pump_*.c))
$(PUMP_TESTS): $(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(LINK_PUMP)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LINK_PUMP) -lm $(LDLIBS) $(TEST_LIBS)
$(BUILD)/tests/noisevec: $(call obj,$(NOISEVEC_SRC)) $(LIB_CRYPTO) $(LIB_UTIL)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LIB_CRYPTO) $(LIB_UTIL) $(call libs_of,libsodium jansson)
$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(TEST_HELP_OBJ) $(LINK_LIBS)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(TEST_HELP_OBJ) $(LINK_LIBS) $(LIBS_ALL) $(TEST_LIBS)

# Benchmarks link bench/*.c helpers and the test library's e2e files
# (tests/lib/e2e*.c, which start a real pumpd; no Criterion).
BENCH_HELP_OBJ := $(call obj,$(filter-out $(BENCH_SRC) $(BENCH_PROG_SRC),$(wildcard bench/*.c)) $(TEST_E2E))
$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(BENCH_HELP_OBJ) $(LINK_LIBS)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(BENCH_HELP_OBJ) $(LINK_LIBS) $(LIBS_ALL)

# The soak (tests/soak/*.c, with the e2e launcher): `make test` runs its
# short round through tests/run.sh, `make soak` the long one.
SOAK_SRC := $(wildcard tests/soak/*.c)
SOAK     := $(if $(SOAK_SRC),$(BUILD)/soak)
$(BUILD)/soak: $(call obj,$(SOAK_SRC) $(TEST_E2E)) $(LINK_LIBS)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LINK_LIBS) $(LIBS_ALL)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ---- tests -----------------------------------------------------------------
#
# tests/run.sh runs every Criterion suite, the Noise and Wycheproof vectors,
# the ptmctl scenarios and the tmux tests of ptm against the programs built
# in $(BUILD); it prints one closing 'N passed, N failed' line.

test: deps test-deps
	@$(MAKE) --no-print-directory all-tests
	@BUILD=$(BUILD) sh tests/run.sh

all-tests: $(PROGS) $(TESTS) $(SOAK) $(NOISEVEC)

unit: deps test-deps
	@$(MAKE) --no-print-directory all-tests
	@BUILD=$(BUILD) ONLY=unit sh tests/run.sh

asan: deps test-deps
	@$(MAKE) --no-print-directory BUILD=build-asan OPT='-O1 -g' \
	  SAN='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' \
	  all-tests
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	 BUILD=build-asan SANITIZED=1 sh tests/run.sh

valgrind: deps test-deps
	@$(MAKE) --no-print-directory BUILD=build-vg OPT='-O1 -g' all-tests
	@BUILD=build-vg VALGRIND=1 ONLY=unit sh tests/run.sh

soak: deps
	@$(MAKE) --no-print-directory $(PROGS) $(SOAK)
	@PTM_BUILD=$(BUILD) $(BUILD)/soak --long

# ---- fuzzing (clang + libFuzzer) --------------------------------------------

FUZZ_SRC     := $(wildcard fuzz/fuzz_*.c)
FUZZ_SECONDS ?= 20
fuzz: deps test-deps
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang OPT='-O1 -g' \
	  SAN='-fsanitize=address,undefined,fuzzer-no-link -fno-omit-frame-pointer' \
	  $(patsubst fuzz/%.c,build-fuzz/fuzz/%,$(FUZZ_SRC))
	@BUILD=build-fuzz FUZZ_SECONDS=$(FUZZ_SECONDS) sh fuzz/run.sh

$(BUILD)/fuzz/%: $(BUILD)/obj/fuzz/%.o $(LINK_LIBS)
	$(call say,LD,$@)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $< $(LINK_LIBS) $(LIBS_ALL)

$(BUILD)/obj/fuzz/%.o: fuzz/%.c
	$(call say,CC,$<)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -c -o $@ $<

# ---- benchmarks ---------------------------------------------------------------

bench:
	@sh scripts/deps.sh bench
	@$(MAKE) --no-print-directory OPT='-O2 -g' $(PROGS) $(BENCHES) $(BENCH_PROGS)
	@BUILD=$(BUILD) sh bench/run.sh

# ---- the safety case ------------------------------------------------------------
#
# docs/HAZARDS.md, docs/REQUIREMENTS.md and the tests' `verifies:` tags;
# scripts/trace.sh prints the matrix and fails on a gap (make test runs it too).
# prove/run.sh runs Frama-C EVA over the pure pump model, the files below.

PUMP_MODEL := $(wildcard pump/*.c)

trace:
	@sh scripts/trace.sh

prove:
	@sh scripts/deps.sh prove
	@BUILD=$(BUILD) sh prove/run.sh $(PUMP_MODEL)

# ---- demo ----------------------------------------------------------------------

demo: all
	@BUILD=$(BUILD) sh scripts/demo.sh $(PTM_ARGS)

demo-clinic: all
	@BUILD=$(BUILD) sh scripts/demo.sh --clinic

# ---- install -------------------------------------------------------------------

MAN1 := $(wildcard docs/*.1)
MAN8 := $(wildcard docs/*.8)
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
	  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8
	$(if $(filter $(BUILD)/pumpd,$(PROGS)),install -m 0755 $(BUILD)/pumpd $(DESTDIR)$(SBINDIR)/pumpd)
	$(if $(filter $(BUILD)/ptm,$(PROGS)),install -m 0755 $(BUILD)/ptm $(DESTDIR)$(BINDIR)/ptm)
	$(if $(filter $(BUILD)/ptmctl,$(PROGS)),install -m 0755 $(BUILD)/ptmctl $(DESTDIR)$(BINDIR)/ptmctl)
	$(if $(MAN1),install -m 0644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/)
	$(if $(MAN8),install -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/)

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/pumpd $(DESTDIR)$(BINDIR)/ptm $(DESTDIR)$(BINDIR)/ptmctl
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(MAN8)))

clean:
	rm -rf build build-asan build-vg build-fuzz
