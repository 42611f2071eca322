/*
 * Unit tests of the holder's table, src/held.c and src/holder.c: all or
 * nothing stores under --max-fds, several descriptors per name but the
 * same open file once, copies in the order asked, removals all or
 * nothing, and entries dropped on a hang-up; the descriptor count says
 * that the table owns and frees exactly what it should.
 */
#include <sys/resource.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "dispose.h"
#include "fds_free.h"
#include "holder.h"
#include "unit.h"
#include "wire.h"

static int wake[2];

/* A holder of at most max descriptors, its wake-up pipe in wake. */
static void
holder_init(struct holder *h, size_t max)
{
	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->lock, NULL);
	h->max_fds = max;
	pipe2(wake, O_CLOEXEC | O_NONBLOCK);
	h->changed = wake[1];
}

/* Takes everything out of h and closes it, with the pipe. */
static void
holder_end(struct holder *h)
{
	holder_dispose_retired(h);
	while (h->table.n > 0)
		close(held_drop(&h->table, h->table.n - 1));
	held_clear(&h->table);
	pthread_mutex_destroy(&h->lock);
	close(wake[0]);
	close(wake[1]);
}

/* The names of what h holds, joined by spaces, in buf. */
static const char *
names_held(const struct holder *h, char *buf, size_t size)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < h->table.n; i++) {
		if (i > 0)
			strlcat(buf, " ", size);
		strlcat(buf, h->table.entries[i].name, size);
	}
	return buf;
}

static void
test_store_all_or_nothing(void)
{
	struct holder h;
	struct refusal no;
	char *names[] = { "a", "b", "c" }, buf[64];
	int fds[3];

	holder_init(&h, 2);
	unit_memfds(fds, 3);
	CHECK(holder_store(&h, fds, names, 1, 1, &no) == 0);
	CHECK(holder_store(&h, fds + 1, names + 1, 2, 1, &no) == -1);
	CHECK(no.reason == WIRE_HOLD_FULL);
	CHECK(strcmp(names_held(&h, buf, sizeof(buf)), "a") == 0);
	/* Refused: still the caller's. */
	unit_close_all(fds + 1, 2);
	holder_end(&h);
}

static void
test_store_unnamed_refused(void)
{
	struct holder h;
	struct refusal no;
	char *names[] = { "a", NULL };
	int fds[2];

	holder_init(&h, 10);
	unit_memfds(fds, 2);
	CHECK(holder_store(&h, fds, names, 2, 1, &no) == -1);
	CHECK(no.reason == WIRE_UNNAMED);
	CHECK(h.table.n == 0);
	unit_close_all(fds, 2);
	holder_end(&h);
}

static void
test_same_file_kept_once(void)
{
	struct holder h;
	struct refusal no;
	char *web[] = { "web" }, *other[] = { "other" };
	int fd, copy, fresh;

	holder_init(&h, 10);
	unit_memfds(&fd, 1);
	copy = dup(fd);
	fresh = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CHECK(holder_store(&h, &fd, web, 1, 1, &no) == 0);
	/* The same open file under the same name: taken, and let go. */
	CHECK(holder_store(&h, &copy, web, 1, 1, &no) == 0);
	CHECK(h.table.n == 1);
	/* Another open file under it, or the same under another name. */
	CHECK(holder_store(&h, &fresh, web, 1, 1, &no) == 0);
	copy = dup(fd);
	CHECK(holder_store(&h, &copy, other, 1, 1, &no) == 0);
	CHECK(h.table.n == 3);
	holder_end(&h);
}

/*
 * A store of many descriptors under few names, one inode: those that come
 * again under their name go, the rest stay in the order sent, the first
 * of each open file kept.
 */
static void
test_store_own_twice_kept_once(void)
{
	struct holder h;
	struct refusal no;
	char *names[300];
	int fds[300], ok = 1;
	size_t i;

	holder_init(&h, 300);
	for (i = 0; i < 300; i++) {
		names[i] = i % 2 ? "b" : "a";
		if (i < 100)
			fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		else if (i < 200)
			/* The same open file under the same name. */
			fds[i] = dup(fds[i - 100]);
		else
			/* The same open file under the other name. */
			fds[i] = dup(fds[i - 199]);
	}
	CHECK(holder_store(&h, fds, names, 300, 1, &no) == 0);
	CHECK(h.table.n == 200);
	for (i = 0; i < h.table.n; i++)
		ok &= h.table.entries[i].fd == fds[i < 100 ? i : i + 100] &&
		    strcmp(h.table.entries[i].name, names[i]) == 0;
	CHECK(ok);
	holder_end(&h);
}

static void
test_copies_in_order_asked(void)
{
	struct holder h;
	struct refusal no;
	struct copies c;
	char *names[] = { "a", "b", "a" }, *asked[] = { "b", "nope", "a" };
	int fds[3];
	size_t i;

	holder_init(&h, 10);
	unit_memfds(fds, 3);
	CHECK(holder_store(&h, fds, names, 3, 1, &no) == 0);
	CHECK(holder_copies(&h, asked, 3, &c) == 0);
	CHECK(c.n == 3);
	CHECK(c.n == 3 && strcmp(c.names[0], "b") == 0 &&
	    strcmp(c.names[1], "a") == 0 && strcmp(c.names[2], "a") == 0);
	CHECK(c.n == 3 && unit_same_file(c.fds[0], fds[1]) &&
	    unit_same_file(c.fds[1], fds[0]) && unit_same_file(c.fds[2], fds[2]));
	for (i = 0; i < c.n; i++)
		CHECK(unit_cloexec(c.fds[i]));
	copies_release(&c);
	CHECK(holder_copies(&h, NULL, 0, &c) == 0);
	CHECK(c.n == 3);
	copies_release(&c);
	holder_end(&h);
}

static void
test_copies_not_into_promised_numbers(void)
{
	struct holder h;
	struct refusal no;
	struct copies c;
	struct rlimit old;
	char *names[] = { "a", "a", "a" };
	int fds[3];

	holder_init(&h, 10);
	unit_memfds(fds, 3);
	CHECK(holder_store(&h, fds, names, 3, 1, &no) == 0);
	if (CHECK(unit_limit_room(FDP_MAX_FDS_PER_MSG + 2, &old) == 0) &&
	    CHECK(fds_promise(FDP_MAX_FDS_PER_MSG) == 0)) {
		/* Another thread's read has its room, two numbers are left. */
		if (!CHECK(holder_copies(&h, names, 1, &c) == -1 &&
		    errno == EAGAIN))
			copies_release(&c);
		fds_unpromise(FDP_MAX_FDS_PER_MSG);
		if (CHECK(holder_copies(&h, names, 1, &c) == 0))
			CHECK(c.n == 3);
		copies_release(&c);
	}
	setrlimit(RLIMIT_NOFILE, &old);
	holder_end(&h);
}

static void
test_remove_all_or_nothing(void)
{
	struct holder h;
	struct refusal no;
	const char *missing = NULL;
	char *names[] = { "a", "b", "a" }, *both[] = { "a", "nope" };
	char *a[] = { "a" }, buf[64];
	int fds[3];

	holder_init(&h, 10);
	unit_memfds(fds, 3);
	CHECK(holder_store(&h, fds, names, 3, 1, &no) == 0);
	CHECK(holder_remove(&h, both, 2, &missing) == -1 && errno == ENOENT);
	CHECK(missing != NULL && strcmp(missing, "nope") == 0);
	CHECK(h.table.n == 3);
	CHECK(holder_remove(&h, a, 1, &missing) == 2);
	CHECK(strcmp(names_held(&h, buf, sizeof(buf)), "b") == 0);
	holder_end(&h);
}

/*
 * What a removal takes out stays open, retired, until the main loop
 * disposes of it: a poll(2) under way may be watching it.
 */
static void
test_removed_wait_for_main_loop(void)
{
	struct holder h;
	struct refusal no;
	const char *missing = NULL;
	char *a[] = { "a" };
	int fd, copy;

	holder_init(&h, 10);
	unit_memfds(&fd, 1);
	copy = dup(fd);
	CHECK(holder_store(&h, &fd, a, 1, 1, &no) == 0);
	CHECK(holder_remove(&h, a, 1, &missing) == 1);
	CHECK(h.table.n == 0 && h.nretired == 1 && h.retired[0] == fd);
	CHECK(unit_same_file(fd, copy));
	holder_dispose_retired(&h);
	CHECK(h.nretired == 0 && h.retired == NULL);
	close(copy);
	holder_end(&h);
}

static void
test_hung_dropped_unless_unwatched(void)
{
	struct holder h;
	struct refusal no;
	char *watched[] = { "watched" }, *kept[] = { "kept" }, buf[64];
	int p[2], q[2];

	holder_init(&h, 10);
	pipe2(p, O_CLOEXEC);
	pipe2(q, O_CLOEXEC);
	CHECK(holder_store(&h, &p[1], watched, 1, 1, &no) == 0);
	CHECK(holder_store(&h, &q[1], kept, 1, 0, &no) == 0);
	holder_drop_hung(&h);
	CHECK(h.table.n == 2);
	close(p[0]);
	close(q[0]);
	holder_drop_hung(&h);
	CHECK(strcmp(names_held(&h, buf, sizeof(buf)), "kept") == 0);
	holder_end(&h);
}

static const struct unit_test tests[] = {
	{ "holder: a store is all or nothing", test_store_all_or_nothing },
	{ "holder: a store without names is refused",
	    test_store_unnamed_refused },
	{ "holder: the same open file is kept once under a name",
	    test_same_file_kept_once },
	{ "holder: a store's own repeats are kept once, in order",
	    test_store_own_twice_kept_once },
	{ "holder: copies come in the order asked",
	    test_copies_in_order_asked },
	{ "holder: copies take no number promised to another thread's read",
	    test_copies_not_into_promised_numbers },
	{ "holder: a removal is all or nothing", test_remove_all_or_nothing },
	{ "holder: what is removed waits for the main loop to dispose of it",
	    test_removed_wait_for_main_loop },
	{ "holder: hung entries are dropped unless unwatched",
	    test_hung_dropped_unless_unwatched },
};

int
main(void)
{
	/*
	 * The holder disposes of what it drops (dispose.c): the disposer's
	 * two descriptors are open from a first drop on, before any count.
	 */
	dispose_start();
	return unit_run(tests, sizeof(tests) / sizeof(tests[0]));
}
