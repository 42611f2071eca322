# fdpass: GNU Make build.
#
#   make              build obj/fdpass (installs missing Debian packages as
#                     root, or names the command to run)
#   make demo         show a descriptor crossing from one process to another
#   make bench        fdpass against s6, python3, socat and a raw loop
#   make fuzz         fuzz the receiver for FUZZ_SECONDS (default 60)
#   make check        every test: unit and bats, normally and under
#                     AddressSanitizer/UBSan, a subset under valgrind, and
#                     a short fuzzing run; ends with a table of the
#                     seconds each stage took
#   make install      the command, man pages, completions, and the core
#                     library (libfdpass.a, <fdpass/msg.h>, fdpass.pc);
#                     PREFIX, DESTDIR, BINDIR, MANDIR, LIBDIR, INCLUDEDIR
#                     and the *COMPDIR directories are honoured
#   make uninstall    removes exactly what install put there

VERSION = 1.0.0

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
ZSHCOMPDIR ?= $(DATADIR)/zsh/site-functions
FISHCOMPDIR ?= $(DATADIR)/fish/vendor_completions.d
DESTDIR ?=

CC ?= cc
CFLAGS ?= -O2 -g
WARNINGS = -Wall -Wextra -Werror
OBJDIR ?= obj
SANITIZE ?=
# static or dynamic, for the fdpass command; see the build flags below.
ifneq ($(SANITIZE),)
LINK ?= dynamic
else
LINK ?= static
endif
# What looks host names up, by absolute path: PATH is not searched.
GETENT ?= /usr/bin/getent
# How many senders the stress test of --keep-listening sends.
SENDERS ?= 10000

ifneq ($(SANITIZE),)
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
endif

SHELL = /bin/bash
.SHELLFLAGS = -o pipefail -ec

# The sources by layer, as the file map at the top of src/main.c lists
# them: the core, the protocol, system helpers that never print or exit,
# the commands' helpers, and the commands.
CORE_SRCS = msg.c
PROTOCOL_SRCS = wire.c sender.c receiver.c intake.c forward.c request.c
SYSTEM_SRCS = access.c address.c appear.c sockets.c resolve.c netns.c \
	haproxy.c haproxy_names.c grab.c placement.c describe.c json.c \
	deadline.c dispose.c cleanup.c signals.c children.c held.c holder.c \
	hold_state.c fdstore.c fds_free.c
CLI_SRCS = sources.c send_data.c exchange.c serve.c turn.c record.c render.c \
	handoff.c endpoint.c options.c background.c stdstreams.c hold_serve.c \
	hold_ask.c hold_notify.c hold_restart.c hold_manager.c log.c
LIB_SRCS = $(CORE_SRCS) $(PROTOCOL_SRCS) $(SYSTEM_SRCS) $(CLI_SRCS)
CMD_SRCS = main.c cmd_send.c cmd_recv.c cmd_hold.c
LIB_OBJS = $(LIB_SRCS:%.c=$(OBJDIR)/%.o)
CMD_OBJS = $(CMD_SRCS:%.c=$(OBJDIR)/%.o)
UNIT_TESTS = $(OBJDIR)/test_msg $(OBJDIR)/test_wire $(OBJDIR)/test_json \
	$(OBJDIR)/test_sockets $(OBJDIR)/test_access $(OBJDIR)/test_placement \
	$(OBJDIR)/test_handoff $(OBJDIR)/test_dispose $(OBJDIR)/test_haproxy_names \
	$(OBJDIR)/test_deadline $(OBJDIR)/test_holder $(OBJDIR)/test_hold_state \
	$(OBJDIR)/test_fds_free

BIN = $(OBJDIR)/fdpass
# The core (src/msg.c, see fdpass(3)) is the library that is installed;
# the rest of the library objects serve the command and the unit tests.
CORE_OBJS = $(CORE_SRCS:%.c=$(OBJDIR)/%.o)
CLI_OBJS = $(filter-out $(CORE_OBJS),$(LIB_OBJS))
LIB = $(OBJDIR)/libfdpass.a
CLI_LIB = $(OBJDIR)/libfdpass-cli.a

# The build flags come from pkg-config, once build/deps.sh has made sure
# libbsd-dev is there.  Goals that compile nothing need neither.  libbsd is
# linked statically: fdpass uses a few of its functions, and every process
# then maps two shared objects fewer, which keeps it small and quick to start.
# The fdpass command is a static PIE as well (LINK = static, the default),
# as it then starts in less than half the instructions: the dynamic loader
# was most of what a transfer cost.  fdpass never calls NSS itself, which
# a static glibc could only do by loading the system's service modules
# (that crashes in one such as myhostname): a host name is looked up by
# running $(GETENT), dynamically linked, so it still resolves as
# nsswitch.conf says (the nsswitch test of tests/sources.bats).  LINK =
# dynamic links it against the shared glibc, as the sanitizers need (and
# valgrind: check-valgrind links obj/dynamic/fdpass); the unit tests and
# the library are the same either way.
NO_BUILD_GOALS = clean uninstall check-man
ifneq ($(filter-out $(NO_BUILD_GOALS),$(or $(MAKECMDGOALS),all)),)
include $(OBJDIR)/config.mk
endif

ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DFDPASS_VERSION='"$(VERSION)"' \
	-DFDPASS_GETENT='"$(GETENT)"' \
	$(WARNINGS) $(CFLAGS) $(SANFLAGS) $(BSD_CFLAGS) -Isrc -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)
ALL_LIBS = $(BSD_LIBS)
# Statically linked, everything is: BSD_LIBS without its -Bstatic ...
# -Bdynamic around libbsd, which would have the linker look for a shared
# libc after it.
, = ,
ifeq ($(LINK),static)
BIN_LDFLAGS = -static-pie
BIN_LIBS = $(filter-out -Wl$(,)-Bstatic -Wl$(,)-Bdynamic,$(BSD_LIBS))
else
BIN_LIBS = $(ALL_LIBS)
endif

all: $(BIN)

$(OBJDIR)/config.mk: build/deps.sh
	@mkdir -p $(OBJDIR)
	build/deps.sh build
	@{ echo "BSD_CFLAGS = $$(pkg-config --cflags libbsd-overlay)"; \
	   echo "BSD_LIBS = -Wl,-Bstatic $$(pkg-config --libs --static libbsd-overlay) -Wl,-Bdynamic"; } > $@

$(OBJDIR)/%.o: src/%.c $(OBJDIR)/config.mk
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(OBJDIR)/%.o: tests/unit/%.c $(OBJDIR)/config.mk
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB): $(CORE_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(CLI_LIB): $(CLI_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(BIN): $(CMD_OBJS) $(CLI_LIB) $(LIB)
	$(CC) $(ALL_LDFLAGS) $(BIN_LDFLAGS) -o $@ $(CMD_OBJS) $(CLI_LIB) $(LIB) \
		$(BIN_LIBS)

# The same command linked against the shared glibc, for valgrind, which
# cannot follow malloc in a static binary; named fdpass for its messages.
$(OBJDIR)/dynamic/fdpass: $(CMD_OBJS) $(CLI_LIB) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(CMD_OBJS) $(CLI_LIB) $(LIB) $(ALL_LIBS)

$(OBJDIR)/test_%: $(OBJDIR)/test_%.o $(OBJDIR)/unit.o $(CLI_LIB) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(ALL_LIBS)

demo: $(BIN)
	@FDPASS=$(BIN) tests/demo.sh

# Speed and memory against baselines measured in the same run; prints a
# table and never fails on the figures.
bench: $(BIN) $(OBJDIR)/bench_core $(OBJDIR)/bench_start
	@FDPASS=$(BIN) BENCH_CORE=$(OBJDIR)/bench_core \
		BENCH_START=$(OBJDIR)/bench_start tests/bench/run.sh

$(OBJDIR)/bench_core: tests/bench/bench_core.c $(LIB) $(OBJDIR)/config.mk
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(ALL_LIBS)

# Linked as $(BIN) is, for the floor of the e2e figures.
$(OBJDIR)/bench_start: tests/bench/bench_start.c $(OBJDIR)/config.mk
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $(BIN_LDFLAGS) -o $@ $<

# The fuzzer: clang's libFuzzer over the receiver, for FUZZ_SECONDS.
FUZZ_SECONDS ?= 60
FUZZ_SRCS = tests/fuzz/fuzz_receiver.c src/msg.c src/wire.c src/receiver.c src/intake.c \
	src/deadline.c src/dispose.c src/signals.c src/fds_free.c

fuzz: $(OBJDIR)/fuzz_receiver
	@mkdir -p $(OBJDIR)/fuzz-corpus
	$(OBJDIR)/fuzz_receiver -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
		-timeout=10 -artifact_prefix=$(OBJDIR)/ \
		$(OBJDIR)/fuzz-corpus tests/fuzz/corpus

$(OBJDIR)/fuzz_receiver: $(FUZZ_SRCS) $(OBJDIR)/config.mk
	build/deps.sh fuzz
	clang -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror \
		-fsanitize=fuzzer,address,undefined $(BSD_CFLAGS) -Isrc \
		-o $@ $(FUZZ_SRCS) $(BSD_LIBS)

# One pass of the tests against the build in $(OBJDIR).
check-unit: $(UNIT_TESTS)
	@status=0; for t in $(UNIT_TESTS); do $$t || status=1; done; exit $$status

# The sanitizer build leaves out the tests tagged peer-program, which
# exercise another program more than fdpass (each fdpass path they reach
# is reached by another test too), those tagged docs, which check texts
# and completions, and those tagged rss, which bound fdpass's memory: the
# sanitizers' shadow memory and quarantine are no part of it.
ifneq ($(SANITIZE),)
BATS_FILTER = --filter-tags '!peer-program,!docs,!rss'
endif

check-bats: $(BIN)
	@build/deps.sh check
	FDPASS=$(abspath $(BIN)) SENDERS=$(SENDERS) bats --formatter tap \
		$(BATS_FILTER) tests/*.bats | tee $(OBJDIR)/bats.log
	@echo "bats: $$(grep -c '^ok' $(OBJDIR)/bats.log) passed," \
		"$$(grep -c '^not ok' $(OBJDIR)/bats.log || true) failed"

check-pass: check-unit check-bats

# The tests tagged valgrind, each fdpass process under valgrind: memory
# errors fail the test, and a process that succeeds may leave no descriptor
# open at exit that it did not inherit.  It runs the dynamically linked
# build, as memcheck cannot replace malloc in a static one.
check-valgrind: $(OBJDIR)/dynamic/fdpass
	@build/deps.sh check
	rm -rf $(OBJDIR)/valgrind
	mkdir -p -m 1777 $(OBJDIR)/valgrind
	FDPASS=$(abspath tests/valgrind-fdpass) \
		FDPASS_REAL=$(abspath $(OBJDIR)/dynamic/fdpass) \
		VALGRIND_LOG=$(abspath $(OBJDIR)/valgrind) \
		bats --formatter tap --filter-tags valgrind tests/*.bats
	@for log in $$(grep -l '^==exit== 0$$' $(OBJDIR)/valgrind/*.log); do \
		awk '/== Open / { fd = $$0; getline; \
			if ($$0 !~ /inherited from parent/) { print FILENAME ": " fd; bad = 1 } } \
			END { exit bad }' $$log || exit 1; \
	done
	@echo "valgrind: $$(grep -l '^==exit== 0$$' $(OBJDIR)/valgrind/*.log | wc -l)" \
		"successful processes, none left a descriptor open"

# A short fuzzing run, its chatter kept in a log unless it finds something.
check-fuzz:
	@mkdir -p $(OBJDIR)
	@$(MAKE) -s fuzz FUZZ_SECONDS=15 >$(OBJDIR)/fuzz.log 2>&1 || \
		{ tail -n 40 $(OBJDIR)/fuzz.log; exit 1; }
	@echo "fuzz: $$(grep -o 'Done [0-9]* runs' $(OBJDIR)/fuzz.log), no crash, leak or hang"

# The static checks, with no finding allowed: clang-tidy with the checks
# .clang-tidy chooses, cppcheck, and shellcheck over every shell file the
# project ships or runs.  Any suppression is inline, with its reason.
SHELL_FILES = tests/*.bash tests/*.sh tests/valgrind-fdpass \
	tests/bench/run.sh build/*.sh completions/fdpass.bash .ci/run
lint: $(OBJDIR)/config.mk
	@build/deps.sh lint
	@# One clang-tidy a file, as many at once as there are cores: it
	@# spends most of lint's time, one file after another otherwise.
	@printf '%s\n' $(LIB_SRCS:%=src/%) $(CMD_SRCS:%=src/%) | \
		xargs -P "$$(nproc)" -I{} clang-tidy --quiet {} -- \
		$(filter-out -MMD -MP $(WARNINGS),$(ALL_CFLAGS)) 2>/dev/null
	@cppcheck --quiet --error-exitcode=1 --inline-suppr \
		--enable=warning,portability,performance --std=c11 \
		-D_GNU_SOURCE -Isrc src
	@shellcheck $(SHELL_FILES)
	@echo "lint: clang-tidy, cppcheck and shellcheck found nothing"

# Every example of README.md and fdpass(1), run as tests/examples.sh says.
check-examples: $(BIN)
	@build/deps.sh check
	@tests/examples.sh $(BIN) $(OBJDIR)/examples

# The man pages through mandoc's linter.  Whether the pages they refer to
# are installed on this machine says nothing about them, so that is left
# out, as is mandoc's note about the system's own page database.
check-man:
	@build/deps.sh check
	@out=$$(mandoc -Tlint man/fdpass.1 man/fdpass.3 2>&1 | \
		grep -v -e 'referenced manual not found' -e 'mandoc\.db' || true); \
	if [ -n "$$out" ]; then echo "$$out"; exit 1; fi
	@echo "man: fdpass.1 and fdpass.3 are lint clean"

# Installs into a scratch DESTDIR and checks that every file landed, that
# the installed fdpass runs, and that the EXAMPLES program of fdpass(3)
# builds against the installed library through pkg-config and passes a
# descriptor; then uninstalls and checks that nothing is left.
CHECK_ROOT = $(abspath $(OBJDIR))/check-install
check-install: $(BIN) $(LIB)
	@rm -rf $(CHECK_ROOT)
	@$(MAKE) -s --no-print-directory install DESTDIR=$(CHECK_ROOT)/root
	@for f in $(INSTALLED); do \
		test -f $(CHECK_ROOT)/root$$f || \
			{ echo "check-install: $$f was not installed"; exit 1; }; \
	done
	@test "$$($(CHECK_ROOT)/root$(BINDIR)/fdpass --version)" = \
		"fdpass $(VERSION)"
	@sed -n '/^\.Sh EXAMPLES/,/^\.Sh/p' man/fdpass.3 | \
		sed -n '/^\.Bd -literal$$/,/^\.Ed$$/p' | \
		sed -e '1d' -e '$$d' -e 's/\\e/\\/g' >$(CHECK_ROOT)/example.c
	@export PKG_CONFIG_PATH=$(CHECK_ROOT)/root$(LIBDIR)/pkgconfig \
		PKG_CONFIG_SYSROOT_DIR=$(CHECK_ROOT)/root; \
	test "$$(pkg-config --modversion fdpass)" = $(VERSION); \
	$(CC) -Wall -Wextra -Werror -o $(CHECK_ROOT)/example \
		$(CHECK_ROOT)/example.c $$(pkg-config --cflags --libs fdpass)
	@test "$$($(CHECK_ROOT)/example)" = through
	@$(MAKE) -s --no-print-directory uninstall DESTDIR=$(CHECK_ROOT)/root
	@left=$$(find $(CHECK_ROOT)/root ! -type d; \
		find $(CHECK_ROOT)/root$(INCLUDEDIR) $(CHECK_ROOT)/root$(DATADIR) \
		-name fdpass); \
	if [ -n "$$left" ]; then \
		echo "check-install: uninstall left:"; echo "$$left"; exit 1; \
	fi
	@echo "install: $(words $(INSTALLED)) files installed and removed;" \
		"fdpass(3)'s example built with pkg-config and ran"

# Each stage runs through build/stage.sh, which keeps its wall and CPU
# seconds in $(STAGES); the table is printed at the end, or at the stage
# that failed.
STAGES = $(OBJDIR)/stages.txt
SANITIZE_LOG = $(OBJDIR)/sanitize.log
STAGE = build/stage.sh $(STAGES)
SUBMAKE = $(MAKE) --no-print-directory
check: $(OBJDIR)/config.mk
	@build/stage.sh --start $(STAGES)
	@$(STAGE) build $(SUBMAKE) $(BIN) $(UNIT_TESTS)
	@$(STAGE) deps build/deps.sh check
	@$(STAGE) lint $(SUBMAKE) lint
	@# The sanitizer pass, the longest stage and busy on one core, runs
	@# beside the others, its output kept in a log unless it fails.
	@$(STAGE) sanitize $(SUBMAKE) OBJDIR=$(OBJDIR)/sanitize SANITIZE=1 \
		SENDERS=300 check-pass >$(SANITIZE_LOG) 2>&1 & sanitize=$$!; \
	status=0; \
	for stage in pass valgrind fuzz man install examples clang; do \
		$(STAGE) $$stage $(SUBMAKE) check-$$stage || \
			{ status=$$?; break; }; \
	done; \
	if wait $$sanitize; then \
		grep -e 'passed,' $(SANITIZE_LOG) | sed 's/^/sanitize: /'; \
	else \
		status=1; echo "sanitize: failed; from $(SANITIZE_LOG):"; \
		grep -A 30 -e '^not ok' -e 'ERROR: ' -e 'runtime error' \
			$(SANITIZE_LOG) | head -n 200; tail -n 5 $(SANITIZE_LOG); \
	fi; \
	exit $$status
	@build/stage.sh --print $(STAGES)

# The second compiler: clang builds everything with the same warnings as
# errors, and the unit tests run from that build.
check-clang:
	@build/deps.sh fuzz
	@$(MAKE) -s --no-print-directory OBJDIR=$(OBJDIR)/clang CC=clang \
		$(OBJDIR)/clang/fdpass check-unit >$(OBJDIR)/clang.log 2>&1 || \
		{ cat $(OBJDIR)/clang.log; exit 1; }
	@echo "clang: built without a warning; $$(grep -h 'passed,' \
		$(OBJDIR)/clang.log | awk '{ p += $$2; f += $$4 } END \
		{ print p " unit tests passed, " f " failed" }')"

# The release tarball: what git tracks, under fdpass-VERSION/.
DIST = fdpass-$(VERSION)
dist:
	@git rev-parse --git-dir >/dev/null 2>&1 || \
		{ echo "dist: needs the git checkout"; exit 1; }
	git archive --format=tar.gz --prefix=$(DIST)/ -o $(DIST).tar.gz HEAD
	@echo "dist: $(DIST).tar.gz"

# Proves that the tarball stands alone: unpacked in a scratch directory,
# it builds, passes its tests, and installs and uninstalls into a DESTDIR.
DISTCHECK = $(abspath $(OBJDIR))/distcheck
distcheck: dist
	rm -rf $(DISTCHECK)
	mkdir -p $(DISTCHECK)
	tar -xzf $(DIST).tar.gz -C $(DISTCHECK)
	$(MAKE) -C $(DISTCHECK)/$(DIST) check-pass check-install
	test "$$($(DISTCHECK)/$(DIST)/obj/fdpass --version)" = "fdpass $(VERSION)"
	rm -rf $(DISTCHECK)
	@echo "distcheck: $(DIST).tar.gz builds, passes and installs on its own"

# What install puts where; uninstall removes exactly these, and the
# directories of fdpass's own under include and share.
INSTALLED = $(BINDIR)/fdpass $(MANDIR)/man1/fdpass.1 $(MANDIR)/man3/fdpass.3 \
	$(LIBDIR)/libfdpass.a $(INCLUDEDIR)/fdpass/msg.h \
	$(LIBDIR)/pkgconfig/fdpass.pc $(BASHCOMPDIR)/fdpass \
	$(ZSHCOMPDIR)/_fdpass $(FISHCOMPDIR)/fdpass.fish \
	$(DATADIR)/fdpass/fdpass.bash

# fdpass.pc names its directories after ${prefix} where they are under it,
# so that pkg-config --define-prefix can move them.
under_prefix = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))
PC_SUBST = -e 's|@PREFIX@|$(PREFIX)|' \
	-e 's|@LIBDIR@|$(call under_prefix,$(LIBDIR))|' \
	-e 's|@INCLUDEDIR@|$(call under_prefix,$(INCLUDEDIR))|' \
	-e 's|@VERSION@|$(VERSION)|'

install: $(BIN) $(LIB)
	sed $(PC_SUBST) build/fdpass.pc.in >$(OBJDIR)/fdpass.pc
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(INCLUDEDIR)/fdpass $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR) \
		$(DESTDIR)$(DATADIR)/fdpass
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/fdpass
	install -m 644 man/fdpass.1 $(DESTDIR)$(MANDIR)/man1/fdpass.1
	install -m 644 man/fdpass.3 $(DESTDIR)$(MANDIR)/man3/fdpass.3
	install -m 644 $(LIB) $(DESTDIR)$(LIBDIR)/libfdpass.a
	install -m 644 src/msg.h $(DESTDIR)$(INCLUDEDIR)/fdpass/msg.h
	install -m 644 $(OBJDIR)/fdpass.pc \
		$(DESTDIR)$(LIBDIR)/pkgconfig/fdpass.pc
	install -m 644 completions/fdpass.bash $(DESTDIR)$(BASHCOMPDIR)/fdpass
	install -m 644 completions/_fdpass $(DESTDIR)$(ZSHCOMPDIR)/_fdpass
	install -m 644 completions/fdpass.fish \
		$(DESTDIR)$(FISHCOMPDIR)/fdpass.fish
	install -m 644 tests/fdpass.bash $(DESTDIR)$(DATADIR)/fdpass/fdpass.bash

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	for d in $(INCLUDEDIR)/fdpass $(DATADIR)/fdpass; do \
		if [ -d $(DESTDIR)$$d ]; then rmdir $(DESTDIR)$$d; fi; done

clean:
	rm -rf $(OBJDIR)

.PHONY: all demo bench fuzz check check-valgrind check-fuzz check-pass \
	check-clang dist distcheck lint \
	check-unit check-bats check-man check-install check-examples install \
	uninstall clean

# Keep the unit tests' objects, which make would otherwise delete.
.SECONDARY: $(UNIT_TESTS:=.o) $(OBJDIR)/unit.o

-include $(wildcard $(OBJDIR)/*.d)
