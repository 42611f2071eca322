/*
 * The table of held descriptors.  A name may hold several, as in
 * systemd's fd store: a store adds to what a name holds, but the same
 * open file twice under one name is kept once, so that a daemon that
 * stores its listener again at each start does not pile up copies.
 */
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/kcmp.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "held.h"

/*
 * Fills *k with fd, name (not copied) and the file's device and inode,
 * taken once here so that comparisons need no system call until two
 * entries name one inode under one name.
 */
void
held_key(struct held_entry *k, int fd, char *name)
{
	struct stat sb;

	memset(k, 0, sizeof(*k));
	k->fd = fd;
	k->name = name;
	if (fstat(fd, &sb) == 0) {
		k->dev = sb.st_dev;
		k->ino = sb.st_ino;
	}
}

/* Orders two numbers, as qsort would. */
static int
order(uintmax_t x, uintmax_t y)
{
	return (x > y) - (x < y);
}

/*
 * Orders a and b by name, then file, then open file: 0 when they hold
 * the same open file under one name.  The cheap keys come first; kcmp(2),
 * whose order of open files holds for as long as they are open, is asked
 * (of self, this process's pid) only for one name and inode.  Where kcmp
 * is not there, files are taken as different, ordered by descriptor: a
 * copy more, never one lost.
 */
int
held_compare(const struct held_entry *a, const struct held_entry *b,
    pid_t self)
{
	int c;

	if ((c = strcmp(a->name, b->name)) != 0)
		return c;
	if (a->dev != b->dev || a->ino != b->ino)
		return a->dev != b->dev ? order(a->dev, b->dev) :
		    order(a->ino, b->ino);
	switch (syscall(SYS_kcmp, self, self, KCMP_FILE, a->fd, b->fd)) {
	case 0:
		return 0;
	case 1:
		return -1;
	case 2:
		return 1;
	default:
		return order((unsigned)a->fd, (unsigned)b->fd);
	}
}

/* Makes room for n more entries, so that the next n held_add succeed. */
int
held_reserve(struct held *t, size_t n)
{
	struct held_entry *e;
	size_t cap = t->cap ? t->cap : 16;

	while (cap < t->n + n)
		cap *= 2;
	if (cap == t->cap)
		return 0;
	if ((e = reallocarray(t->entries, cap, sizeof(*e))) == NULL)
		return -1;
	t->entries = e;
	t->cap = cap;
	return 0;
}

/*
 * Adds fd under name, the table owning it from then on, in room that
 * held_reserve made.  Fails with ENOMEM.
 */
int
held_add(struct held *t, int fd, const char *name, int watched)
{
	struct held_entry k;

	held_key(&k, fd, (char *)name);
	return held_add_key(t, &k, watched);
}

/* Adds k, as held_add does, its device and inode taken already. */
int
held_add_key(struct held *t, const struct held_entry *k, int watched)
{
	struct held_entry *e = &t->entries[t->n];

	*e = *k;
	if ((e->name = strdup(k->name)) == NULL)
		return -1;
	e->watched = watched;
	t->n++;
	return 0;
}

/* How many descriptors name holds. */
size_t
held_count(const struct held *t, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < t->n; i++)
		n += strcmp(t->entries[i].name, name) == 0;
	return n;
}

/* Tells whether name holds anything. */
int
held_has(const struct held *t, const char *name)
{
	return held_count(t, name) > 0;
}

/*
 * Takes out of the table the i-th entry and returns its descriptor, now
 * the caller's; the order of the others stays.
 */
int
held_drop(struct held *t, size_t i)
{
	int fd = t->entries[i].fd;

	free(t->entries[i].name);
	memmove(&t->entries[i], &t->entries[i + 1],
	    (t->n - i - 1) * sizeof(t->entries[0]));
	t->n--;
	return fd;
}

/*
 * Takes out every descriptor name holds into fds, which has room for all
 * of the table's, and returns how many: they are the caller's now.
 */
size_t
held_take(struct held *t, const char *name, int *fds)
{
	size_t i = 0, n = 0;

	while (i < t->n)
		if (strcmp(t->entries[i].name, name) == 0)
			fds[n++] = held_drop(t, i);
		else
			i++;
	return n;
}

/* Frees the table, its descriptors taken out beforehand. */
void
held_clear(struct held *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->entries[i].name);
	free(t->entries);
	t->entries = NULL;
	t->n = t->cap = 0;
}
