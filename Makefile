# fdpass: GNU Make build.
#
#   make              build obj/fdpass (installs missing Debian packages as
#                     root, or names the command to run)
#   make demo         show a descriptor crossing from one process to another
#   make bench        fdpass against s6, python3, socat and a raw loop
#   make fuzz         fuzz the receiver for FUZZ_SECONDS (default 60)
#   make check        every test: unit and bats, normally and under
#                     AddressSanitizer/UBSan, a subset under valgrind, and
#                     a short fuzzing run
#   make install      PREFIX, DESTDIR, BINDIR, MANDIR are honoured
#   make uninstall

VERSION = 0.1.0

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share
DESTDIR ?=

CC ?= cc
CFLAGS ?= -O2 -g
WARNINGS = -Wall -Wextra -Werror
OBJDIR ?= obj
SANITIZE ?=

ifneq ($(SANITIZE),)
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
endif

SHELL = /bin/bash
.SHELLFLAGS = -o pipefail -ec

LIB_SRCS = msg.c wire.c transfer.c deadline.c address.c endpoint.c \
	options.c placement.c describe.c inspect.c sockets.c grab.c handoff.c \
	background.c
CMD_SRCS = main.c cmd_send.c cmd_recv.c
LIB_OBJS = $(LIB_SRCS:%.c=$(OBJDIR)/%.o)
CMD_OBJS = $(CMD_SRCS:%.c=$(OBJDIR)/%.o)
UNIT_TESTS = $(OBJDIR)/test_msg $(OBJDIR)/test_wire $(OBJDIR)/test_inspect \
	$(OBJDIR)/test_sockets

BIN = $(OBJDIR)/fdpass
LIB = $(OBJDIR)/libfdpass.a

# The build flags come from pkg-config, once build/deps.sh has made sure
# libbsd-dev is there.  Goals that compile nothing need neither.  libbsd is
# linked statically: fdpass uses a few of its functions, and every process
# then maps two shared objects fewer, which keeps it small and quick to start.
NO_BUILD_GOALS = clean uninstall
ifneq ($(filter-out $(NO_BUILD_GOALS),$(or $(MAKECMDGOALS),all)),)
include $(OBJDIR)/config.mk
endif

ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DFDPASS_VERSION='"$(VERSION)"' \
	$(WARNINGS) $(CFLAGS) $(SANFLAGS) $(BSD_CFLAGS) -Isrc -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)
ALL_LIBS = $(BSD_LIBS)

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

$(LIB): $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(BIN): $(CMD_OBJS) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $(CMD_OBJS) $(LIB) $(ALL_LIBS)

$(OBJDIR)/test_%: $(OBJDIR)/test_%.o $(OBJDIR)/unit.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(ALL_LIBS)

demo: $(BIN)
	@FDPASS=$(BIN) tests/demo.sh

# Speed and memory against baselines measured in the same run; prints a
# table and never fails on the figures.
bench: $(BIN) $(OBJDIR)/bench_core
	@FDPASS=$(BIN) BENCH_CORE=$(OBJDIR)/bench_core tests/bench/run.sh

$(OBJDIR)/bench_core: tests/bench/bench_core.c $(LIB) $(OBJDIR)/config.mk
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(ALL_LIBS)

# The fuzzer: clang's libFuzzer over the receiver, for FUZZ_SECONDS.
FUZZ_SECONDS ?= 60
FUZZ_SRCS = tests/fuzz/fuzz_receiver.c src/msg.c src/wire.c src/transfer.c \
	src/deadline.c

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

check-bats: $(BIN)
	@build/deps.sh check
	FDPASS=$(abspath $(BIN)) bats --formatter tap tests/*.bats \
		| tee $(OBJDIR)/bats.log
	@echo "bats: $$(grep -c '^ok' $(OBJDIR)/bats.log) passed," \
		"$$(grep -c '^not ok' $(OBJDIR)/bats.log || true) failed"

check-pass: check-unit check-bats

# The tests tagged valgrind, each fdpass process under valgrind: memory
# errors fail the test, and a process that succeeds may leave no descriptor
# open at exit that it did not inherit.
check-valgrind: $(BIN)
	@build/deps.sh check
	rm -rf $(OBJDIR)/valgrind
	mkdir -p -m 1777 $(OBJDIR)/valgrind
	FDPASS=$(abspath tests/valgrind-fdpass) FDPASS_REAL=$(abspath $(BIN)) \
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

check: check-pass check-valgrind check-fuzz
	$(MAKE) OBJDIR=$(OBJDIR)/sanitize SANITIZE=1 check-pass

install: $(BIN)
	install -d $(DESTDIR)$(BINDIR)
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/fdpass

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/fdpass

clean:
	rm -rf $(OBJDIR)

.PHONY: all demo bench fuzz check check-valgrind check-fuzz check-pass \
	check-unit check-bats install uninstall clean

# Keep the unit tests' objects, which make would otherwise delete.
.SECONDARY: $(UNIT_TESTS:=.o) $(OBJDIR)/unit.o

-include $(wildcard $(OBJDIR)/*.d)
