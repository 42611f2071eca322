/*
 * Unit tests of the handoff plan, src/handoff.c's handoff_plan: where
 * each received descriptor goes in every style, --at by name and in
 * order, and the refusals with their texts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handoff.h"
#include "unit.h"

/*
 * Tells whether the plan for n descriptors named names[] in the style of
 * h is the want[] of nwant places, printing what came if not.
 */
static int
plan_is(const struct handoff *h, char **names, size_t n,
    const struct placement *want, size_t nwant)
{
	struct placement *p;
	const char *why;
	size_t np = 0, i;
	int ok;

	if ((p = handoff_plan(h, names, n, &np, &why)) == NULL) {
		printf("#   refused: %s\n", why);
		return 0;
	}
	ok = why == NULL && np == nwant;
	for (i = 0; ok && i < np; i++)
		ok = p[i].from == want[i].from && p[i].to == want[i].to;
	for (i = 0; !ok && i < np; i++)
		printf("#   place %zu: %zu to %d\n", i, p[i].from, p[i].to);
	free(p);
	return ok;
}

/* Tells whether the plan for n descriptors is refused with want. */
static int
refused(const struct handoff *h, char **names, size_t n, const char *want)
{
	struct placement *p;
	const char *why;
	size_t np;

	if ((p = handoff_plan(h, names, n, &np, &why)) != NULL) {
		free(p);
		printf("#   planned, not refused: %s\n", want);
		return 0;
	}
	if (why != NULL && strcmp(why, want) == 0)
		return 1;
	printf("#   got:  %s\n#   want: %s\n", why != NULL ? why : "(none)",
	    want);
	return 0;
}

/* The first on 0, the others from 3 on; none is a plan of nothing. */
static void
test_default(void)
{
	struct handoff h = { .style = STYLE_DEFAULT };
	const struct placement three[] = { { 0, 0 }, { 1, 3 }, { 2, 4 } };

	CHECK(plan_is(&h, NULL, 3, three, 3));
	CHECK(plan_is(&h, NULL, 1, three, 1));
	CHECK(plan_is(&h, NULL, 0, NULL, 0));
}

/* --listen-fds: from 3 on, in order. */
static void
test_listen_fds(void)
{
	struct handoff h = { .style = STYLE_LISTEN_FDS };
	const struct placement three[] = { { 0, 3 }, { 1, 4 }, { 2, 5 } };

	CHECK(plan_is(&h, NULL, 3, three, 3));
	CHECK(plan_is(&h, NULL, 1, three, 1));
}

/* --inetd: one on both 0 and 1, or two, the read end first. */
static void
test_inetd(void)
{
	struct handoff h = { .style = STYLE_INETD };
	const struct placement one[] = { { 0, 0 }, { 0, 1 } };
	const struct placement two[] = { { 0, 0 }, { 1, 1 } };

	CHECK(plan_is(&h, NULL, 1, one, 2));
	CHECK(plan_is(&h, NULL, 2, two, 2));
	CHECK(refused(&h, NULL, 3, "--inetd takes 1 or 2 descriptors, "
	    "not 3"));
	CHECK(refused(&h, NULL, 0, "--inetd takes 1 or 2 descriptors, "
	    "not 0"));
}

/* --ucspi: the same on 6 and 7. */
static void
test_ucspi(void)
{
	struct handoff h = { .style = STYLE_UCSPI };
	const struct placement one[] = { { 0, 6 }, { 0, 7 } };
	const struct placement two[] = { { 0, 6 }, { 1, 7 } };

	CHECK(plan_is(&h, NULL, 1, one, 2));
	CHECK(plan_is(&h, NULL, 2, two, 2));
	CHECK(refused(&h, NULL, 4, "--ucspi takes 1 or 2 descriptors, "
	    "not 4"));
}

/* --at with numbers only: each item takes the next in order. */
static void
test_at_numbers(void)
{
	const struct at_item at[] = { { 9, NULL }, { 0, NULL }, { 5, NULL } };
	struct handoff h = { .style = STYLE_AT, .at = at, .nat = 3 };
	const struct placement want[] = { { 0, 9 }, { 1, 0 }, { 2, 5 } };

	CHECK(plan_is(&h, NULL, 3, want, 3));
}

/*
 * --at with names: named items take theirs first, wherever they are in
 * the list, and the unnamed ones what is left, in order; a name given
 * twice takes the next descriptor of that name.
 */
static void
test_at_names(void)
{
	char *names[] = { "log", NULL, "web", "web" };
	const struct at_item at[] = {
		{ 3, NULL }, { 4, "web" }, { 5, "log" }, { 6, "web" },
	};
	struct handoff h = { .style = STYLE_AT, .at = at, .nat = 4 };
	const struct placement want[] = {
		{ 1, 3 }, { 2, 4 }, { 0, 5 }, { 3, 6 },
	};
	const struct at_item named_first[] = { { 3, NULL }, { 4, "log" } };
	const struct placement want_first[] = { { 1, 3 }, { 0, 4 } };

	CHECK(plan_is(&h, names, 4, want, 4));
	h.at = named_first;
	h.nat = 2;
	CHECK(plan_is(&h, names, 2, want_first, 2));
}

/* --at refuses a name nothing has, a name used up, and a wrong count. */
static void
test_at_refused(void)
{
	char *names[] = { "log", NULL, "web" };
	const struct at_item at[] = { { 3, "log" }, { 4, "db" }, { 5, NULL } };
	const struct at_item twice[] = {
		{ 3, "log" }, { 4, "log" }, { 5, NULL },
	};
	struct handoff h = { .style = STYLE_AT, .at = at, .nat = 3 };

	CHECK(refused(&h, names, 3, "no descriptor named 'db' for --at 4"));
	h.at = twice;
	CHECK(refused(&h, names, 3, "no descriptor named 'log' for --at 4"));
	CHECK(refused(&h, names, 2, "received 2 descriptors, but --at "
	    "places 3"));
	CHECK(refused(&h, names, 0, "received 0 descriptors, but --at "
	    "places 3"));
	h.nat = 2;
	CHECK(refused(&h, names, 3, "received 3 descriptors, but --at "
	    "places 2"));
}

static const struct unit_test tests[] = {
	{ "handoff_plan: default", test_default },
	{ "handoff_plan: --listen-fds", test_listen_fds },
	{ "handoff_plan: --inetd", test_inetd },
	{ "handoff_plan: --ucspi", test_ucspi },
	{ "handoff_plan: --at with numbers", test_at_numbers },
	{ "handoff_plan: --at with names", test_at_names },
	{ "handoff_plan: --at refused", test_at_refused },
};

int
main(void)
{
	return unit_run(tests, sizeof(tests) / sizeof(tests[0]));
}
