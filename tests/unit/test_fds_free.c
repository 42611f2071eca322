/*
 * Unit tests of src/fds_free.c: the free descriptor numbers counted, and
 * promised so that two threads at once cannot both count on them.  Each
 * test sets the soft descriptor limit, and puts it back.
 */
#include <sys/resource.h>

#include <errno.h>

#include "fds_free.h"
#include "unit.h"

static struct rlimit saved;

/* Sets the soft descriptor limit to room numbers above those in use. */
static int
limit_room(size_t room)
{
	return unit_limit_room(room, &saved);
}

static void
limit_back(void)
{
	setrlimit(RLIMIT_NOFILE, &saved);
}

/* Tells whether a promise of n numbers is given; if so, gives it back. */
static int
promised(size_t n)
{
	if (fds_promise(n) == -1)
		return 0;
	fds_unpromise(n);
	return 1;
}

static void
test_free_counted(void)
{
	if (CHECK(limit_room(300) == 0))
		CHECK(fds_free() == 300);
	limit_back();
}

static void
test_promised_are_not_free(void)
{
	if (CHECK(limit_room(300) == 0) && CHECK(fds_promise(253) == 0)) {
		/* Another's promise is what is missing: waiting helps. */
		CHECK(!promised(253) && errno == EAGAIN);
		CHECK(promised(47));
		CHECK(!promised(48) && errno == EAGAIN);
		fds_unpromise(253);
		CHECK(promised(253));
	}
	limit_back();
}

static void
test_too_few_at_all(void)
{
	if (CHECK(limit_room(100) == 0)) {
		CHECK(!promised(253) && errno == EMFILE);
		CHECK(promised(100));
	}
	limit_back();
}

static void
test_left_unpromised(void)
{
	fds_promise_leave(8);
	if (CHECK(limit_room(300) == 0) && CHECK(fds_promise(253) == 0)) {
		/* 300 - 253 - 8 */
		CHECK(!promised(40) && errno == EAGAIN);
		CHECK(promised(39));
		fds_unpromise(253);
		CHECK(!promised(293) && errno == EMFILE);
		CHECK(promised(292));
	}
	fds_promise_leave(0);
	limit_back();
}

static const struct unit_test tests[] = {
	{ "fds_free: the numbers below the limit not in use", test_free_counted },
	{ "fds_promise: numbers promised are not promised again",
	    test_promised_are_not_free },
	{ "fds_promise: EMFILE when the limit leaves too few", test_too_few_at_all },
	{ "fds_promise: what is left for threads without a promise is kept",
	    test_left_unpromised },
};

int
main(void)
{
	return unit_run(tests, sizeof(tests) / sizeof(tests[0]));
}
