/*
 * The holder's table behind its lock.  Every change wakes the main loop
 * (a byte on its pipe), which watches the entries for POLLHUP and POLLERR
 * and so must see the new ones.  Copies handed out are disposed of after
 * the lock is released, and entries taken out by the main loop once it
 * polls them no more: the last close of what a client sent may wait as
 * long as that client likes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dispose.h"
#include "fds_free.h"
#include "holder.h"
#include "wire.h"

/* Tells the main loop that the table changed. */
static void
wake_main_loop(const struct holder *h)
{
	char c = 0;

	/* A full pipe has a wake-up in it already. */
	(void)!write(h->changed, &c, 1);
}

/* Tells the mirror, if any, that fd came under name. */
static void
mirror_stored(const struct holder *h, const char *name, int fd, int watched)
{
	if (h->mirror != NULL)
		h->mirror->stored(h->mirror->arg, name, fd, watched);
}

/* Tells the mirror, if any, that name holds nothing any more. */
static void
mirror_removed(const struct holder *h, const char *name)
{
	if (h->mirror != NULL)
		h->mirror->removed(h->mirror->arg, name);
}

/*
 * Tells whether t, locked, holds k's open file under its name: the name,
 * then the inode, rule out all but a few entries before any kcmp.
 */
static int
held_already(const struct held *t, const struct held_entry *k, pid_t self)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (held_compare(&t->entries[i], k, self) == 0)
			return 1;
	return 0;
}

/* The keys a store's sort orders, and the pid kcmp(2) asks of. */
struct sort {
	const struct held_entry	*keys;
	pid_t			 self;
};

/* Orders indices into keys by held_compare, then by place, for qsort_r. */
static int
by_key(const void *a, const void *b, void *arg)
{
	const struct sort *s = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = held_compare(&s->keys[x], &s->keys[y], s->self);

	return c != 0 ? c : (x > y) - (x < y);
}

/*
 * Marks in same[] those of the n keys whose open file comes earlier in
 * the store under the same name.  Sorted, each is compared with its
 * neighbours only, not with all: thousands of descriptors under one name
 * cost thousands of kcmp, not millions.
 */
static int
mark_twice(const struct held_entry *keys, size_t n, int *same, pid_t self)
{
	struct sort s = { keys, self };
	size_t i, *order;

	if ((order = calloc(n, sizeof(*order))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(*order), by_key, &s);
	for (i = 1; i < n; i++)
		if (held_compare(&keys[order[i - 1]], &keys[order[i]],
		    self) == 0)
			same[order[i]] = 1;
	free(order);
	return 0;
}

/*
 * Marks in same[] also those of the n keys that t, locked, holds under
 * their names already; returns how many are new.
 */
static size_t
mark_held(const struct held *t, const struct held_entry *keys, size_t n,
    int *same, pid_t self)
{
	size_t i, count = 0;

	for (i = 0; i < n; i++) {
		if (!same[i])
			same[i] = held_already(t, &keys[i], self);
		count += !same[i];
	}
	return count;
}

/*
 * Adds to h's table, locked and with room reserved, the n keys not
 * marked same, all or none (ENOMEM), and mirrors them.
 */
static int
add_new(struct holder *h, const struct held_entry *keys, size_t n,
    const int *same, int watched)
{
	struct held *t = &h->table;
	size_t i, had = t->n;

	for (i = 0; i < n; i++)
		if (!same[i] && held_add_key(t, &keys[i], watched) == -1) {
			while (t->n > had)
				held_drop(t, t->n - 1);
			errno = ENOMEM;
			return -1;
		}
	for (i = 0; i < n; i++)
		if (!same[i])
			mirror_stored(h, keys[i].name, keys[i].fd, watched);
	return 0;
}

/*
 * The keys of the n descriptors at fds under names, in *keys, and in
 * *same those that come twice in the store, all out of the lock; fails
 * with ENOMEM.
 */
static int
store_keys(const int *fds, char *const *names, size_t n,
    struct held_entry **keys, int **same, pid_t self)
{
	size_t i;

	*same = calloc(n, sizeof(**same));
	*keys = calloc(n, sizeof(**keys));
	if (*same == NULL || *keys == NULL)
		goto fail;
	for (i = 0; i < n; i++)
		held_key(&(*keys)[i], fds[i], names[i]);
	if (mark_twice(*keys, n, *same, self) == -1)
		goto fail;
	return 0;
fail:
	free(*same);
	free(*keys);
	return -1;
}

/*
 * Stores the n descriptors at fds, each under its name, all or none:
 * returns 0, the table owning them from then on (the same open file under
 * the same name again is kept once, as systemd's fd store does); or -1
 * with *no saying why, the descriptors still the caller's and nothing
 * held changed.
 */
int
holder_store(struct holder *h, const int *fds, char *const *names, size_t n,
    int watched, struct refusal *no)
{
	struct held_entry *keys;
	pid_t self = getpid();
	size_t i;
	int *same, refused = 1;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (names[i] == NULL || names[i][0] == '\0') {
			no->reason = WIRE_UNNAMED;
			no->why = "a descriptor without a name";
			return -1;
		}
	if (store_keys(fds, names, n, &keys, &same, self) == -1) {
		no->reason = WIRE_UNSAID;
		no->why = "out of memory";
		return -1;
	}
	pthread_mutex_lock(&h->lock);
	if (h->table.n + mark_held(&h->table, keys, n, same, self) >
	    h->max_fds) {
		no->reason = WIRE_HOLD_FULL;
		no->why = "that many more would pass --max-fds";
	} else if (held_reserve(&h->table, n) == -1 ||
	    add_new(h, keys, n, same, watched) == -1) {
		no->reason = WIRE_UNSAID;
		no->why = "out of memory";
	} else
		refused = 0;
	pthread_mutex_unlock(&h->lock);
	free(keys);
	if (refused) {
		free(same);
		return -1;
	}
	/* Held already: let go of, out of the lock. */
	for (i = 0; i < n; i++)
		if (same[i])
			dispose_fd(fds[i]);
	free(same);
	wake_main_loop(h);
	return 0;
}

/*
 * Reserves room for n descriptors that a store is about to bring, so
 * that stores under way cannot together bring more than --max-fds, the
 * table's and theirs counted; fails when there is none.  The store then
 * goes through holder_store, and holder_unreserve gives the room back.
 */
int
holder_reserve(struct holder *h, size_t n)
{
	int ret = -1;

	pthread_mutex_lock(&h->lock);
	if (h->table.n + h->coming + n <= h->max_fds) {
		h->coming += n;
		ret = 0;
	}
	pthread_mutex_unlock(&h->lock);
	return ret;
}

/* Gives back the room holder_reserve reserved for n descriptors. */
void
holder_unreserve(struct holder *h, size_t n)
{
	pthread_mutex_lock(&h->lock);
	h->coming -= n;
	pthread_mutex_unlock(&h->lock);
}

/* Adds a copy of e to c; fails with EMFILE, ENOMEM. */
static int
copy_entry(struct copies *c, const struct held_entry *e)
{
	if ((c->names[c->n] = strdup(e->name)) == NULL)
		return -1;
	if ((c->fds[c->n] = fcntl(e->fd, F_DUPFD_CLOEXEC, 0)) == -1) {
		free(c->names[c->n]);
		return -1;
	}
	c->n++;
	return 0;
}

/* Tells whether names[i] was asked for before, among names[0..i). */
static int
asked_before(char *const *names, size_t i)
{
	size_t k;

	for (k = 0; k < i; k++)
		if (strcmp(names[k], names[i]) == 0)
			return 1;
	return 0;
}

/*
 * Puts in sel the indexes in t of what the n names hold (all, for none),
 * each name once however often it is asked for, and so each entry once.
 * Returns how many.
 */
static size_t
select_held(const struct held *t, char *const *names, size_t n, size_t *sel)
{
	size_t i, j, k = 0;

	for (i = 0; i < (n > 0 ? n : 1); i++) {
		if (asked_before(names, i))
			continue;
		for (j = 0; j < t->n; j++)
			if (n == 0 || strcmp(t->entries[j].name, names[i]) == 0)
				sel[k++] = j;
	}
	return k;
}

/*
 * Copies into c, locked, what the n names hold.  The numbers for the
 * copies are promised first, so that they are none another thread's
 * receive counts on.
 */
static int
copy_held(const struct held *t, char *const *names, size_t n,
    struct copies *c)
{
	size_t i, k, *sel;
	int ret = 0;

	if (t->n == 0)
		return 0;
	if ((sel = calloc(t->n, sizeof(*sel))) == NULL ||
	    (c->fds = calloc(t->n, sizeof(*c->fds))) == NULL ||
	    (c->names = calloc(t->n, sizeof(*c->names))) == NULL) {
		free(sel);
		return -1;
	}
	if ((k = select_held(t, names, n, sel)) > 0 && fds_promise(k) == -1) {
		free(sel);
		return -1;
	}
	for (i = 0; i < k && ret == 0; i++)
		ret = copy_entry(c, &t->entries[sel[i]]);
	if (k > 0)
		fds_unpromise(k);
	free(sel);
	return ret;
}

/*
 * Copies of what the n names hold, in the order asked and then stored,
 * or of all that is held for no names, into *c, which copies_release
 * ends; a name that holds nothing adds nothing.  Fails with EMFILE,
 * ENOMEM, or EAGAIN when the numbers they need are promised to others.
 */
int
holder_copies(struct holder *h, char *const *names, size_t n,
    struct copies *c)
{
	int ret;

	memset(c, 0, sizeof(*c));
	pthread_mutex_lock(&h->lock);
	ret = copy_held(&h->table, names, n, c);
	pthread_mutex_unlock(&h->lock);
	if (ret == -1)
		copies_release(c);
	return ret;
}

/*
 * Disposes of the copies, which may be the last of an entry taken out
 * meanwhile, and frees c's memory.
 */
void
copies_release(struct copies *c)
{
	size_t i;

	dispose_fds(c->fds, c->n);
	for (i = 0; i < c->n; i++)
		free(c->names[i]);
	free(c->fds);
	free(c->names);
	memset(c, 0, sizeof(*c));
}

/*
 * Makes room in h's retired list, locked, for n more descriptors; fails
 * with ENOMEM.
 */
static int
retire_room(struct holder *h, size_t n)
{
	int *r;

	if ((r = reallocarray(h->retired, h->nretired + n + 1,
	    sizeof(*r))) == NULL)
		return -1;
	h->retired = r;
	return 0;
}

/*
 * Takes out all that the n names hold, all or none: fails with ENOENT,
 * *missing the first name that holds nothing, or ENOMEM, leaving the
 * table as it was.  Returns how many descriptors went, retired for the
 * main loop to dispose of.
 */
ssize_t
holder_remove(struct holder *h, char *const *names, size_t n,
    const char **missing)
{
	size_t i, taken, count = 0;

	pthread_mutex_lock(&h->lock);
	for (i = 0; i < n; i++)
		if (!held_has(&h->table, names[i])) {
			pthread_mutex_unlock(&h->lock);
			*missing = names[i];
			errno = ENOENT;
			return -1;
		}
	if (retire_room(h, h->table.n) == -1) {
		pthread_mutex_unlock(&h->lock);
		return -1;
	}
	for (i = 0; i < n; i++) {
		taken = held_take(&h->table, names[i],
		    h->retired + h->nretired);
		if (taken > 0)
			mirror_removed(h, names[i]);
		h->nretired += taken;
		count += taken;
	}
	pthread_mutex_unlock(&h->lock);
	wake_main_loop(h);
	return count;
}

/*
 * Takes out the watched entries whose descriptors report POLLHUP or
 * POLLERR, as systemd drops them from its fd store: a connection whose
 * peer has gone, a pipe whose other end is closed.  The mirror hears of
 * each name that comes to hold nothing.  What goes is retired, for the
 * main loop, which calls this, to dispose of next.
 */
void
holder_drop_hung(struct holder *h)
{
	struct pollfd p;
	size_t i = 0;

	pthread_mutex_lock(&h->lock);
	/* Room to take them all out; without it, they wait for the next. */
	if (retire_room(h, h->table.n) == -1) {
		pthread_mutex_unlock(&h->lock);
		return;
	}
	while (i < h->table.n) {
		p.fd = h->table.entries[i].fd;
		p.events = 0;
		if (h->table.entries[i].watched && poll(&p, 1, 0) == 1 &&
		    (p.revents & (POLLHUP | POLLERR))) {
			if (held_count(&h->table, h->table.entries[i].name) == 1)
				mirror_removed(h, h->table.entries[i].name);
			h->retired[h->nretired++] = held_drop(&h->table, i);
		} else
			i++;
	}
	pthread_mutex_unlock(&h->lock);
}

/*
 * Disposes of the descriptors taken out of the table since the last
 * call.  Only the main loop calls it, between its polls: while a thread
 * sits in poll(2), the kernel holds a reference to each descriptor it
 * polls, so a disposer that closed one meanwhile would leave the last
 * close, which may linger as long as the client likes, to that thread's
 * return from poll.
 */
void
holder_dispose_retired(struct holder *h)
{
	size_t n;
	int *fds;

	pthread_mutex_lock(&h->lock);
	fds = h->retired;
	n = h->nretired;
	h->retired = NULL;
	h->nretired = 0;
	pthread_mutex_unlock(&h->lock);
	dispose_fds(fds, n);
	free(fds);
}
