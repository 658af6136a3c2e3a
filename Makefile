# Homeward: the build.  GNU make; libraries found with pkg-config.
#
#   make            build/homewardd, build/homeward, build/homeward-keys
#   make deps       install the Debian packages the build and tests need
#   make test       build and run every test (unit, vectors, integration)
#   make asan       the same suite under AddressSanitizer + UBSan
#   make coverage   the same suite under gcov: line and branch coverage per
#                   folder (lcov), HTML report in build/coverage/
#   make fuzz       each libFuzzer target for FUZZ_SECONDS (default 30)
#   make bench      bench-crypto, the consent gate against a seal, then two
#                   daemons delivering 20,000 messages
#   make bench-crypto   seal/open throughput against their primitives
#   make bench-slowlink     two daemons through an emulated slow line
#                           (docs/BENCH.md; minutes, not in make bench)
#   make bench-federation   50 agencies, every pair linked (docs/BENCH.md)
#   make vectors    regenerate tests/vectors/*.json (deterministic)
#   make install    homewardd in sbin/, homeward and homeward-keys in bin/,
#                   man pages, the systemd unit, sysusers.d and tmpfiles.d
#                   entries, and under share/homeward/ an example
#                   homewardd.conf, the .proto schemas and an example JSON
#                   document per step, and the message catalogues under
#                   share/locale/; PREFIX (/usr/local), DESTDIR, BINDIR,
#                   SBINDIR, MANDIR, LOCALEDIR, UNITDIR, SYSUSERSDIR, TMPFILESDIR
#   make deb        the Debian package (debian/, dpkg-buildpackage), in ..
#   make pot        regenerate po/homeward.pot from the sources (xgettext)

CC       ?= cc
BUILD    ?= build
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
SBINDIR  ?= $(PREFIX)/sbin
DESTDIR  ?=
FUZZ_SECONDS ?= 30
VERSION  := 0.1.0

PKGS     := libsodium libuv openssl libprotobuf-c sqlite3 inih jansson libsystemd
TESTPKGS := cmocka
# The printed notice and reports (cli/pdf*.c): homeward only, never the daemon.
CLIPKGS  := cairo pangocairo

# A fresh machine has only a compiler and make: install what is missing
# before anything reads pkg-config (make deps does the same explicitly).
ifeq ($(filter deps clean,$(MAKECMDGOALS)),)
DEPS_OK := $(shell pkg-config --exists $(PKGS) $(TESTPKGS) $(CLIPKGS) 2>/dev/null && \
             command -v protoc-c >/dev/null && command -v clang >/dev/null && \
             command -v jq >/dev/null && command -v msgfmt >/dev/null && \
             command -v xgettext >/dev/null && \
             command -v pdfinfo >/dev/null && echo yes)
ifneq ($(DEPS_OK),yes)
$(info make: installing missing build dependencies with scripts/deps.sh)
DEPS_RUN := $(shell ./scripts/deps.sh >&2 && echo ok)
ifneq ($(DEPS_RUN),ok)
$(error could not install the build dependencies: run ./scripts/deps.sh as root)
endif
endif
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
TEST_LIBS  := $(shell pkg-config --libs $(TESTPKGS) 2>/dev/null)
CLI_CFLAGS := $(shell pkg-config --cflags $(CLIPKGS) 2>/dev/null)
CLI_LIBS   := $(shell pkg-config --libs $(CLIPKGS) 2>/dev/null)
LOCALEDIR  ?= $(PREFIX)/share/locale

OPT      ?= -O2
CFLAGS   ?= $(OPT) -g
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wno-format-nonliteral
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DHOMEWARD_VERSION='"$(VERSION)"' \
            $(WARN) $(CPPFLAGS) $(CFLAGS) $(SAN) -MMD -MP -I. -I$(BUILD)/proto $(PKG_CFLAGS)
ALL_LDFLAGS = -Wl,--as-needed $(LDFLAGS) $(SAN)

# Generated protobuf-c code lives in build/ and is never committed.
PROTOS     := $(wildcard proto/*.proto)
# referral.proto declares its data categories as custom field options, so
# it imports descriptor.proto (libprotobuf-dev), compiled here with the rest.
PROTO_INC  := /usr/include
DESC_PROTO := google/protobuf/descriptor.proto
PROTO_C    := $(patsubst proto/%.proto,$(BUILD)/proto/proto/%.pb-c.c,$(PROTOS)) \
              $(BUILD)/proto/google/protobuf/descriptor.pb-c.c
PROTO_H    := $(PROTO_C:.c=.h)

# One static library per layer; programs and tests link the real sources.
COMMON_SRC := $(wildcard common/*.c)
PROTO_SRC  := $(wildcard proto/*.c)
KEYS_SRC   := $(wildcard keys/*.c)
TOOL_SRC   := $(filter-out keys/tool/main.c,$(wildcard keys/tool/*.c))
DAEMON_SRC := $(wildcard daemon/*/*.c)
CLI_SRC    := $(wildcard cli/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIBCOMMON := $(BUILD)/libcommon.a
LIBPROTO  := $(BUILD)/libproto.a
LIBKEYS   := $(BUILD)/libkeys.a
LIBDAEMON := $(BUILD)/libdaemon.a
LIBTOOL   := $(BUILD)/libkeystool.a
LIBS_ALL   = $(LIBDAEMON) $(LIBTOOL) $(LIBKEYS) $(LIBPROTO) $(LIBCOMMON)

PROGS := $(BUILD)/homewardd $(BUILD)/homeward $(BUILD)/homeward-keys

# The operator's language (issue 13): po/LANG.po for each LANG in
# po/LINGUAS, compiled into $(BUILD)/locale, where the tests point
# HOMEWARD_LOCALEDIR; installed under $(LOCALEDIR).
LINGUAS   := $(shell sed -e 's/\#.*//' po/LINGUAS 2>/dev/null)
POTFILES  := $(shell sed -e 's/\#.*//' po/POTFILES.in 2>/dev/null)
MO_FILES  := $(patsubst %,$(BUILD)/locale/%/LC_MESSAGES/homeward.mo,$(LINGUAS))
XGETTEXT_FLAGS := --language=C --from-code=UTF-8 --keyword=_ --keyword=N_ \
            --keyword=ngettext:1,2 --add-comments=TRANSLATORS: --sort-by-file \
            --add-location=file \
            --package-name=homeward --package-version=$(VERSION) \
            --msgid-bugs-address=homeward@example.org
# The catalogues of the printed notice and reports ("homeward-notice",
# cli/pdf_lang.c): po-notice/LANG.po into $(BUILD)/locale, where the
# tests find them (HOMEWARD_LOCALEDIR), and $(LOCALEDIR) when installed.
NOTICE_PO := $(wildcard po-notice/*.po)
NOTICE_MO := $(patsubst po-notice/%.po,$(BUILD)/locale/%/LC_MESSAGES/homeward-notice.mo,$(NOTICE_PO))

UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
TESTLIB_SRC := $(wildcard tests/lib/*.c)
TOOLS_SRC  := $(wildcard tests/tools/*.c)
TOOLS_BINS := $(patsubst tests/tools/%.c,$(BUILD)/tests/tools/%,$(TOOLS_SRC))
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)
BENCH_SRC  := $(wildcard tests/bench/*.c)

.PHONY: all pot demo deps test asan coverage fuzz fuzz-bins bench bench-crypto \
        bench-slowlink bench-federation vectors install deb clean
.DEFAULT_GOAL := all
# Generated protobuf sources are intermediate files make must keep.
.SECONDARY:

all: $(PROGS) $(MO_FILES) $(NOTICE_MO)

# -c: the format conversions of every translation match its msgid's, and
# the header (Plural-Forms) is sound.  Written aside, so a failed check
# leaves no catalogue behind.
$(BUILD)/locale/%/LC_MESSAGES/homeward.mo: po/%.po
	@mkdir -p $(dir $@)
	@echo "  MSGFMT  $<"
	@msgfmt -c -o $@.tmp $< && mv $@.tmp $@

# The template translators start from, po/homeward.pot: made fresh from
# the sources in $(BUILD)/po, copied to po/ by make pot (then msgmerge
# each po/LANG.po).  tests/integration/i18n.sh checks that no marked
# string of the sources is missing from the committed one.
pot: $(BUILD)/po/homeward.pot
	cp $< po/homeward.pot
$(BUILD)/po/homeward.pot: $(POTFILES) po/POTFILES.in
	@mkdir -p $(dir $@)
	@echo "  XGETTEXT $@"
	@xgettext $(XGETTEXT_FLAGS) -o $@.tmp $(POTFILES) && \
	    sed -i '/^"POT-Creation-Date:/d' $@.tmp && mv $@.tmp $@


$(BUILD)/locale/%/LC_MESSAGES/homeward-notice.mo: po-notice/%.po
	@mkdir -p $(dir $@)
	@echo "  MSGFMT  $<"
	@msgfmt -c -o $@ $<

deps:
	./scripts/deps.sh

$(BUILD)/proto/proto/%.pb-c.c $(BUILD)/proto/proto/%.pb-c.h: proto/%.proto
	@mkdir -p $(BUILD)/proto
	@echo "  PROTOC  $<"
	@protoc-c --proto_path=. --proto_path=$(PROTO_INC) --c_out=$(BUILD)/proto $<

# Grouped (&:): one protoc-c run makes both, never two racing under -j.
$(BUILD)/proto/google/protobuf/descriptor.pb-c.c $(BUILD)/proto/google/protobuf/descriptor.pb-c.h &: $(PROTO_INC)/$(DESC_PROTO)
	@mkdir -p $(BUILD)/proto
	@echo "  PROTOC  $(DESC_PROTO)"
	@protoc-c --proto_path=$(PROTO_INC) --c_out=$(BUILD)/proto $(DESC_PROTO)

# Every object may include generated headers: generate them first.
$(BUILD)/obj/%.o: %.c | $(PROTO_H)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

# protoc-c output is not held to our warning set.
$(BUILD)/obj/proto-gen/%.pb-c.o: $(BUILD)/proto/%.pb-c.c $(PROTO_H)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(filter-out -Werror -Wmissing-prototypes -Wshadow,$(ALL_CFLAGS)) -c -o $@ $<

PROTO_GEN_OBJ := $(patsubst $(BUILD)/proto/%.pb-c.c,$(BUILD)/obj/proto-gen/%.pb-c.o,$(PROTO_C))

# The data category of every field of referral.proto (proto/refcat.h).
# protoc-c drops custom options from its code, so a host generator reads
# them from the descriptor set and fails the build on a field without one.
REFCAT_DESC  := $(BUILD)/proto/referral.desc
REFCAT_GEN   := $(BUILD)/refcat_gen
REFCAT_TABLE := $(BUILD)/proto/refcat_table.c
REFCAT_OBJ   := $(BUILD)/obj/proto-gen/refcat_table.o

$(REFCAT_DESC): proto/referral.proto $(PROTO_INC)/$(DESC_PROTO)
	@mkdir -p $(dir $@)
	@echo "  PROTOC  $< (descriptor set)"
	@protoc-c --proto_path=. --proto_path=$(PROTO_INC) --include_imports \
	    --descriptor_set_out=$@ proto/referral.proto

$(REFCAT_GEN): $(call obj,proto/gen/refcat_gen.c) \
    $(BUILD)/obj/proto-gen/google/protobuf/descriptor.pb-c.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(shell pkg-config --libs libprotobuf-c 2>/dev/null)

# Written aside and renamed, so a failed check leaves no table behind.
$(REFCAT_TABLE): $(REFCAT_GEN) $(REFCAT_DESC)
	@echo "  GEN     $@"
	@$(REFCAT_GEN) $(REFCAT_DESC) >$@.tmp || { rm -f $@.tmp $@; exit 1; }
	@mv $@.tmp $@

$(REFCAT_OBJ): $(REFCAT_TABLE) | $(PROTO_H)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Where an installed homeward finds its catalogues.
$(BUILD)/obj/common/i18n.o: ALL_CFLAGS += -DLOCALEDIR='"$(LOCALEDIR)"'

$(LIBCOMMON): $(call obj,$(COMMON_SRC))
	@rm -f $@; ar rcs $@ $^
$(LIBPROTO): $(call obj,$(PROTO_SRC)) $(PROTO_GEN_OBJ) $(REFCAT_OBJ)
	@rm -f $@; ar rcs $@ $^
$(LIBKEYS): $(call obj,$(KEYS_SRC))
	@rm -f $@; ar rcs $@ $^
$(LIBDAEMON): $(call obj,$(DAEMON_SRC))
	@rm -f $@; ar rcs $@ $^
$(LIBTOOL): $(call obj,$(TOOL_SRC))
	@rm -f $@; ar rcs $@ $^

$(BUILD)/homewardd: $(call obj,daemon/main.c) $(LIBS_ALL)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(call obj,$(CLI_SRC)): ALL_CFLAGS += $(CLI_CFLAGS) -DLOCALEDIR='"$(LOCALEDIR)"'
$(BUILD)/homeward: $(call obj,$(CLI_SRC)) $(LIBS_ALL)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CLI_LIBS)
$(BUILD)/homeward-keys: $(call obj,keys/tool/main.c) $(LIBS_ALL)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# Unit tests: one binary per module, linking the real libraries.
$(BUILD)/tests/%: $(call obj,tests/unit/%.c) $(call obj,$(TESTLIB_SRC)) $(LIBS_ALL)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(TEST_LIBS)

# Helper programs the integration scripts drive (not tests themselves).
$(BUILD)/tests/tools/%: $(call obj,tests/tools/%.c) $(call obj,$(TESTLIB_SRC)) $(LIBS_ALL)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/vectorgen: $(call obj,$(wildcard tests/vectors/*.c)) $(call obj,$(TESTLIB_SRC)) $(LIBS_ALL)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

test: all $(UNIT_BINS) $(TOOLS_BINS)
	@BUILD=$(BUILD) ./tests/run.sh $(UNIT_BINS)

# The same suite, instrumented, in its own build directory.
asan:
	$(MAKE) BUILD=build-asan OPT=-O1 SAN='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' test

# The same suite under gcov, at -O0 in build-cov: built, its counters zeroed,
# run; then scripts/coverage.sh (lcov, branches too) prints line and branch
# coverage per top-level folder, per subfolder of daemon/ and for the files
# under 70% of branches, and writes the HTML report to COV_HTML.  Daemons
# stopped with SIGTERM return from main and write their counters; a SIGKILL'd
# one writes none.  The report is made even when a test fails; the target
# fails then too.
COV_BUILD := build-cov
COV_HTML  := $(BUILD)/coverage
COV_BINS   = $(patsubst $(BUILD)/%,$(COV_BUILD)/%,$(UNIT_BINS) $(TOOLS_BINS))
COV_ARGS   = --no-print-directory BUILD=$(COV_BUILD) OPT=-O0 SAN=--coverage
coverage:
	@command -v lcov >/dev/null && command -v genhtml >/dev/null || ./scripts/deps.sh
	@command -v lcov >/dev/null && command -v genhtml >/dev/null || \
	    { echo "make coverage: lcov is missing: run ./scripts/deps.sh as root" >&2; exit 1; }
	$(MAKE) $(COV_ARGS) all $(COV_BINS)
	@./scripts/coverage.sh --zero $(COV_BUILD)
	@st=0; $(MAKE) $(COV_ARGS) test || st=$$?; \
	    ./scripts/coverage.sh $(COV_BUILD) $(COV_HTML) || st=1; exit $$st

vectors: $(BUILD)/vectorgen
	$(BUILD)/vectorgen tests/vectors

# libFuzzer targets: clang, instrumented copies of the libraries.
FUZZ_BUILD := build-fuzz
FUZZ_BINS  := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(FUZZ_SRC))
fuzz:
	$(MAKE) CC=clang BUILD=$(FUZZ_BUILD) OPT=-O1 \
	    SAN='-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all' fuzz-bins
	@FUZZ_SECONDS=$(FUZZ_SECONDS) ./tests/fuzz/run.sh $(FUZZ_BINS)

fuzz-bins: $(patsubst tests/fuzz/%.c,$(BUILD)/%,$(FUZZ_SRC))
$(BUILD)/fuzz_%: $(call obj,tests/fuzz/fuzz_%.c) $(call obj,$(TESTLIB_SRC)) $(LIBS_ALL)
	$(CC) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS)

$(BUILD)/bench_%: $(call obj,tests/bench/bench_%.c) $(call obj,$(TESTLIB_SRC)) $(LIBS_ALL)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

bench-crypto: $(BUILD)/bench_crypto
	$(BUILD)/bench_crypto

# bench-crypto, then two real daemons exchanging 20,000 messages next to
# the bound measured in the same run (scripts/bench-delivery.sh; about 2
# minutes).  Everything is built first so that no compiler runs alongside.
bench: all $(BUILD)/bench_crypto $(BUILD)/bench_gate $(BUILD)/bench_delivery
	@$(MAKE) --no-print-directory bench-crypto
	$(BUILD)/bench_gate
	@BUILD=$(BUILD) ./scripts/bench-delivery.sh

# Issue 11's wire and scale figures, minutes each, so not part of make
# bench (docs/BENCH.md): delivery through tests/tools/linkemu at 20,000
# and 8,000 bytes/s, 300 ms RTT (QUEUED, LATER, RATES ...), and a
# federation of AGENCIES (50) daemons, every pair linked.
bench-slowlink: all $(BUILD)/tests/tools/linkemu
	@BUILD=$(BUILD) ./tests/bench/slowlink.sh

bench-federation: all
	@BUILD=$(BUILD) ./tests/bench/federation.sh

# What Homeward does today, end to end (scripts/demo.sh).
demo: all $(TOOLS_BINS)
	@BUILD=$(BUILD) ./scripts/demo.sh

# The manual pages (docs/man); tests/integration/manpages.sh checks them.
MANDIR   ?= $(PREFIX)/share/man
MAN1     := docs/man/homeward.1 docs/man/homeward-keys.1
MAN5     := docs/man/homewardd.conf.5
MAN8     := docs/man/homewardd.8

# Where systemd looks for units, sysusers.d and tmpfiles.d entries under
# PREFIX (/usr/local/lib/... and /usr/lib/... are both searched); the
# Debian package puts the unit in /lib/systemd/system (debian/rules).
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
SHAREDIR    ?= $(PREFIX)/share/homeward
# homewardd reads /etc/homeward/homewardd.conf whatever PREFIX is.
SYSCONFDIR  ?= /etc
EXAMPLES    := $(wildcard dist/examples/*.json)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) \
	    $(DESTDIR)$(SHAREDIR)/proto $(DESTDIR)$(SHAREDIR)/examples \
	    $(DESTDIR)$(SYSCONFDIR)/homeward
	install -m 0755 $(BUILD)/homewardd $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(BUILD)/homeward $(BUILD)/homeward-keys $(DESTDIR)$(BINDIR)/
	install -m 0644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	sed 's|/usr/sbin/homewardd|$(SBINDIR)/homewardd|g' dist/homewardd.service \
	    >$(DESTDIR)$(UNITDIR)/homewardd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/homewardd.service
	install -m 0644 dist/homeward.sysusers $(DESTDIR)$(SYSUSERSDIR)/homeward.conf
	install -m 0644 dist/homeward.tmpfiles $(DESTDIR)$(TMPFILESDIR)/homeward.conf
	install -m 0644 dist/homewardd.conf.example $(DESTDIR)$(SHAREDIR)/
	install -m 0644 $(PROTOS) $(DESTDIR)$(SHAREDIR)/proto/
	install -m 0644 $(EXAMPLES) $(DESTDIR)$(SHAREDIR)/examples/
	for l in $(LINGUAS); do \
	    install -d $(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES && \
	    install -m 0644 $(BUILD)/locale/$$l/LC_MESSAGES/homeward.mo \
	        $(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES/ || exit 1; \
	done
	for mo in $(NOTICE_MO); do \
		l=$${mo#$(BUILD)/locale/}; l=$${l%%/*}; \
		install -d $(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES && \
		install -m 0644 $$mo $(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES/ || exit 1; \
	done

# The Debian package, built from this tree as Debian builds it; the .deb
# and its .buildinfo/.changes land in the parent directory.
deb:
	./scripts/deb.sh

clean:
	rm -rf build build-asan build-cov build-fuzz

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
