/*
 * Unit tests of deadlines in milliseconds, src/deadline.c, and of how
 * options.c writes them back as seconds for a message.
 */
#include <string.h>

#include "deadline.h"
#include "options.h"
#include "unit.h"

static void
test_set_ms(void)
{
	struct deadline d;
	int left;

	deadline_set_ms(&d, 500);
	left = deadline_remaining_ms(&d);
	CHECK(left > 0 && left <= 500);
	deadline_set_ms(&d, 1999);
	left = deadline_remaining_ms(&d);
	CHECK(left > 1000 && left <= 1999);
	CHECK(d.at.tv_nsec >= 0 && d.at.tv_nsec < 1000000000);
}

static void
test_set_never(void)
{
	struct deadline d;

	deadline_set_ms(&d, 0);
	CHECK(deadline_remaining_ms(&d) == -1);
	deadline_set(&d, 0);
	CHECK(deadline_remaining_ms(&d) == -1);
}

static void
test_seconds_in_seconds(void)
{
	struct deadline d;
	int left;

	deadline_set(&d, 2);
	left = deadline_remaining_ms(&d);
	CHECK(left > 1000 && left <= 2000);
}

static void
test_seconds_text(void)
{
	CHECK(strcmp(seconds_text(1000), "1") == 0);
	CHECK(strcmp(seconds_text(500), "0.5") == 0);
	CHECK(strcmp(seconds_text(1250), "1.25") == 0);
	CHECK(strcmp(seconds_text(1), "0.001") == 0);
	CHECK(strcmp(seconds_text(10000), "10") == 0);
	CHECK(strcmp(seconds_text(31536000000LL), "31536000") == 0);
}

static const struct unit_test tests[] = {
	{ "deadline_set_ms: milliseconds from now", test_set_ms },
	{ "deadline_set_ms, deadline_set: 0 is never", test_set_never },
	{ "deadline_set: whole seconds", test_seconds_in_seconds },
	{ "seconds_text: no trailing zeros", test_seconds_text },
};

int
main(void)
{
	return unit_run(tests, sizeof(tests) / sizeof(tests[0]));
}
