/*
 * Unit tests of src/fds_free.c: the free descriptor numbers counted, and
 * promised to receives so that two at once cannot both count on them.
 */
#include <sys/resource.h>

#include <errno.h>

#include "fds_free.h"
#include "unit.h"

/*
 * Sets the soft descriptor limit to room numbers above those in use;
 * 0 when it could.
 */
static int
limit_room(size_t room)
{
	struct rlimit rl;
	size_t used;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return -1;
	rl.rlim_cur = rl.rlim_max < 1024 ? rl.rlim_max : 1024;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		return -1;
	used = rl.rlim_cur - fds_free();
	rl.rlim_cur = used + room;
	return setrlimit(RLIMIT_NOFILE, &rl);
}

static void
test_free_counted(void)
{
	if (!CHECK(limit_room(300) == 0))
		return;
	CHECK(fds_free() == 300);
}

static void
test_promised_are_not_free(void)
{
	if (!CHECK(limit_room(300) == 0))
		return;
	CHECK(fds_promise(253) == 0);
	/* Others' promise is what is missing: waiting helps. */
	CHECK(fds_promise(253) == -1 && errno == EAGAIN);
	CHECK(fds_promise(47) == 0);
	CHECK(fds_promise(1) == -1 && errno == EAGAIN);
	fds_unpromise(47);
	fds_unpromise(253);
	CHECK(fds_promise(253) == 0);
	fds_unpromise(253);
}

static void
test_too_few_at_all(void)
{
	if (!CHECK(limit_room(100) == 0))
		return;
	CHECK(fds_promise(253) == -1 && errno == EMFILE);
	CHECK(fds_promise(100) == 0);
	fds_unpromise(100);
}

static void
test_left_unpromised(void)
{
	if (!CHECK(limit_room(300) == 0))
		return;
	fds_promise_leave(8);
	CHECK(fds_promise(253) == 0);
	/* 300 - 253 - 8 */
	CHECK(fds_promise(40) == -1 && errno == EAGAIN);
	CHECK(fds_promise(39) == 0);
	fds_unpromise(39);
	fds_unpromise(253);
	CHECK(fds_promise(293) == -1 && errno == EMFILE);
	CHECK(fds_promise(292) == 0);
	fds_unpromise(292);
	fds_promise_leave(0);
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
