/*
 * Unit tests of src/hold_state.c, the state one holder hands the next
 * across its exec: what is written reads back the same, at the largest
 * size a holder reaches, and a state that is not sound, in any line, is
 * refused with its reason, nothing in it trusted.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hold_state.h"
#include "unit.h"

/* Descriptors of each kind a state names. */
struct kinds {
	int	listener;	/* a listening unix stream socket */
	int	notify;		/* a unix datagram socket */
	int	files[2];	/* memfds: a pid file, an entry */
};

/* Opens one descriptor of each kind; 0, or -1 with none left open. */
static int
open_kinds(struct kinds *k)
{
	/* Bound to an abstract name of the kernel's choosing. */
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	k->listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	k->notify = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (k->listener == -1 || k->notify == -1 ||
	    bind(k->listener, (struct sockaddr *)&sun, sizeof(sa_family_t)) ||
	    listen(k->listener, 1) || unit_memfds(k->files, 2) == -1) {
		close(k->listener);
		close(k->notify);
		return -1;
	}
	return 0;
}

static void
close_kinds(const struct kinds *k)
{
	close(k->listener);
	close(k->notify);
	unit_close_all(k->files, 2);
}

/* Parses text, a copy of it, as if read from descriptor self. */
static int
parse(const char *text, int self, struct hold_state *st, const char **why)
{
	char *copy = strdup(text);
	int ret;

	*why = NULL;
	ret = hold_state_parse(copy, strlen(text), self, st, why);
	free(copy);
	return ret;
}

/* Tells whether text is refused with want, printing what it got if not. */
static int
refused(const char *text, const char *want)
{
	struct hold_state st;
	const char *why;

	if (parse(text, -1, &st, &why) == -1 && strcmp(why, want) == 0)
		return 1;
	printf("#   text: %s#   got:  %s\n#   want: %s\n", text,
	    why != NULL ? why : "(taken)", want);
	if (why == NULL)
		hold_state_free(&st);
	return 0;
}

static void
test_written_reads_back_the_same(void)
{
	struct hold_state st, back;
	struct kinds k;
	const char *why;
	int fd;

	if (!CHECK(open_kinds(&k) == 0))
		return;
	hold_state_init(&st);
	st.listener = (struct state_socket){ k.listener, "/run/h.sock", 8, 9 };
	st.notify = (struct state_socket){ k.notify, "odd\npath", 1, 2 };
	st.pid_fd = k.files[0];
	st.pid_path = "run/h.pid";
	CHECK(held_reserve(&st.table, 1) == 0 &&
	    held_add(&st.table, k.files[1], "web 80", 0) == 0);
	fd = hold_state_write(&st);
	held_clear(&st.table);
	if (!CHECK(fd != -1)) {
		close_kinds(&k);
		return;
	}
	CHECK(unit_cloexec(fd));
	CHECK(hold_state_read(fd, &back, &why) == 0);
	CHECK(back.listener.fd == k.listener && back.listener.dev == 8 &&
	    back.listener.ino == 9 &&
	    strcmp(back.listener.path, "/run/h.sock") == 0);
	CHECK(back.notify.fd == k.notify &&
	    strcmp(back.notify.path, "odd\npath") == 0);
	CHECK(back.pid_fd == k.files[0] &&
	    strcmp(back.pid_path, "run/h.pid") == 0);
	CHECK(back.table.n == 1 && back.table.entries[0].fd == k.files[1] &&
	    back.table.entries[0].watched == 0 &&
	    strcmp(back.table.entries[0].name, "web 80") == 0);
	hold_state_free(&back);
	close(fd);
	close_kinds(&k);
}

static void
test_an_abstract_listener_and_nothing_else(void)
{
	struct hold_state st;
	struct kinds k;
	const char *why;
	char text[128];

	if (!CHECK(open_kinds(&k) == 0))
		return;
	snprintf(text, sizeof(text), "fdpass-hold-state 1\nlistener %d 0 0 "
	    "0:\nend\n", k.listener);
	CHECK(parse(text, -1, &st, &why) == 0);
	CHECK(st.listener.path == NULL && st.notify.fd == -1 &&
	    st.pid_fd == -1 && st.table.n == 0);
	hold_state_free(&st);
	close_kinds(&k);
}

/* A state whose listener is k's, then the lines in rest. */
static const char *
with(const struct kinds *k, const char *rest)
{
	static char text[512];

	snprintf(text, sizeof(text), "fdpass-hold-state 1\nlistener %d 1 2 "
	    "0:\n%s", k->listener, rest);
	return text;
}

static void
test_lines_that_are_not_sound_are_refused(void)
{
	struct kinds k;
	char line[128];

	if (!CHECK(open_kinds(&k) == 0))
		return;
	CHECK(refused("", "not a state this holder knows"));
	CHECK(refused("fdpass-hold-state 2\nend\n",
	    "not a state this holder knows"));
	CHECK(refused("fdpass-hold-state 1\nend\n", "no listener"));
	CHECK(refused("fdpass-hold-state 1\nlistener 07 1 2 0:\nend\n",
	    "not a number where one belongs"));
	CHECK(refused("fdpass-hold-state 1\nlistener 99999999999 1 2 0:\n"
	    "end\n", "a number out of range"));
	CHECK(refused("fdpass-hold-state 1\nlistener 2 1 2 0:\nend\n",
	    "a standard stream as a held descriptor"));
	CHECK(refused("fdpass-hold-state 1\nlistener 5 1 2 9:ab\nend\n",
	    "a string longer than its line"));
	CHECK(refused("fdpass-hold-state 1\nlistener 5 1 2 200:\nend\n",
	    "a number out of range"));
	CHECK(refused(with(&k, "end\njunk"),
	    "a line that does not read as it should"));
	CHECK(refused(with(&k, ""), "a line that does not read as it should"));
	snprintf(line, sizeof(line), "held %d 2 1:x\nend\n", k.files[1]);
	CHECK(refused(with(&k, line), "a number out of range"));
	snprintf(line, sizeof(line), "held %d 1 3:a:b\nend\n", k.files[1]);
	CHECK(refused(with(&k, line), "an entry without a valid name"));
	snprintf(line, sizeof(line), "held %d 1 0:\nend\n", k.files[1]);
	CHECK(refused(with(&k, line), "an entry without a valid name"));
	snprintf(line, sizeof(line), "pid-file %d 0:\nend\n", k.files[0]);
	CHECK(refused(with(&k, line), "a pid file without a path"));
	close_kinds(&k);
}

static void
test_descriptors_that_are_not_sound_are_refused(void)
{
	struct hold_state st;
	const char *why;
	struct kinds k;
	char line[128];

	if (!CHECK(open_kinds(&k) == 0))
		return;
	snprintf(line, sizeof(line), "held %d 1 1:x\nheld %d 1 1:y\nend\n",
	    k.files[1], k.files[1]);
	CHECK(refused(with(&k, line),
	    "a descriptor that is not open, or named twice"));
	CHECK(refused(with(&k, "held 1000000 1 1:x\nend\n"),
	    "a descriptor that is not open, or named twice"));
	snprintf(line, sizeof(line), "held %d 1 1:x\nend\n", k.files[1]);
	CHECK(parse(with(&k, line), k.files[1], &st, &why) == -1 &&
	    strcmp(why, "a descriptor that is not open, or named twice") == 0);
	snprintf(line, sizeof(line), "fdpass-hold-state 1\nlistener %d 1 2 "
	    "0:\nend\n", k.notify);
	CHECK(refused(line, "the listener is not a listening unix stream "
	    "socket"));
	snprintf(line, sizeof(line), "notify %d 1 2 0:\nend\n", k.files[1]);
	CHECK(refused(with(&k, line), "the notify socket is not a unix "
	    "datagram socket"));
	snprintf(line, sizeof(line), "pid-file %d 1:p\nend\n", k.notify);
	CHECK(refused(with(&k, line), "the pid file is not a regular file"));
	close_kinds(&k);
}

/* The most entries a holder keeps, --max-fds at most. */
#define MOST	65536

/*
 * Fills st with n entries of names of 255 bytes, their descriptors
 * numbers that are not open: more than this process may open.
 */
static int
fill(struct hold_state *st, size_t n)
{
	char name[256];
	size_t i;

	if (held_reserve(&st->table, n) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%0255zu", i);
		if (held_add(&st->table, 100000 + i, name, i % 2) == -1)
			return -1;
	}
	return 0;
}

/* Writes and reads back n entries; tells whether it refused with want. */
static int
across(const struct kinds *k, size_t n, const char *want)
{
	struct hold_state st, back;
	const char *why = NULL;
	int fd, ret;

	hold_state_init(&st);
	st.listener.fd = k->listener;
	if (fill(&st, n) == -1 || (fd = hold_state_write(&st)) == -1) {
		held_clear(&st.table);
		return 0;
	}
	ret = hold_state_read(fd, &back, &why) == -1 && why != NULL &&
	    strcmp(why, want) == 0;
	if (!ret)
		printf("#   got: %s\n", why != NULL ? why : "(taken)");
	close(fd);
	held_clear(&st.table);
	return ret;
}

/*
 * 65536 entries of 255-byte names are read through to the check of
 * their descriptors, which fails as they are not open; one more is
 * refused before.
 */
static void
test_the_most_a_holder_holds_goes_across(void)
{
	struct kinds k;

	if (!CHECK(open_kinds(&k) == 0))
		return;
	CHECK(across(&k, MOST, "a descriptor that is not open, or named "
	    "twice"));
	CHECK(across(&k, MOST + 1, "more entries than any holder keeps"));
	close_kinds(&k);
}

static const struct unit_test tests[] = {
	{ "what is written reads back the same",
	    test_written_reads_back_the_same },
	{ "an abstract listener and nothing else",
	    test_an_abstract_listener_and_nothing_else },
	{ "lines that are not sound are refused, with the reason",
	    test_lines_that_are_not_sound_are_refused },
	{ "descriptors not open, twice, or of another kind are refused",
	    test_descriptors_that_are_not_sound_are_refused },
	{ "65536 entries of 255-byte names go across",
	    test_the_most_a_holder_holds_goes_across },
};

int
main(void)
{
	return unit_run(tests, sizeof(tests) / sizeof(tests[0]));
}
