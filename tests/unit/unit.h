/*
 * A small test harness.  A test is a function that makes CHECKs; unit_run
 * runs a table of them, fails any test that leaves the number of open
 * descriptors changed, and prints TAP-like lines and a summary.
 */
#ifndef FDPASS_UNIT_H
#define FDPASS_UNIT_H

#include <sys/resource.h>

#include <stddef.h>

struct unit_test {
	const char	*name;
	void		(*fn)(void);
};

/* Records a failure of cond with its place and text; yields whether it held. */
#define CHECK(cond)	unit_check((cond) != 0, __FILE__, __LINE__, #cond)

int	unit_check(int, const char *, int, const char *);
int	unit_run(const struct unit_test *, size_t);

int	unit_want_fds(size_t);
int	unit_limit_room(size_t, struct rlimit *);
int	unit_memfds(int *, size_t);
int	unit_socketpair(int, int *);
void	unit_close_all(const int *, size_t);
int	unit_same_file(int, int);
int	unit_cloexec(int);

#endif
