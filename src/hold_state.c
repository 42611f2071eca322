/*
 * The state one holder hands the next across its exec, as text that a
 * person can read in /proc/PID/fd and that is checked line by line, as
 * anything that comes from outside is: the variable may have been set by
 * anybody.  Strings are LEN:BYTES, so that a path may hold any byte:
 *
 *	fdpass-hold-state 1
 *	listener FD DEV INO LEN:PATH	(LEN 0: no file, an abstract socket)
 *	notify FD DEV INO LEN:PATH	(with --notify-socket only)
 *	pid-file FD LEN:PATH		(with --pid-file only)
 *	held FD WATCHED LEN:NAME	(one per entry, in the table's order)
 *	end
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hold_state.h"
#include "wire.h"

/* The first line: a holder that reads another version refuses it. */
#define STATE_MAGIC	"fdpass-hold-state 1\n"

/* The most entries a holder keeps (fdpass hold --max-fds at most). */
#define STATE_MAX_ENTRIES	65536

/* More than 65536 entries of the longest name and widest numbers. */
#define STATE_MAX_BYTES		((size_t)32 * 1024 * 1024)

/* Where the parser is in the text, and why it stopped. */
struct cursor {
	char		*p;
	char		*end;
	const char	*why;
};

/* A state with nothing in it. */
void
hold_state_init(struct hold_state *st)
{
	memset(st, 0, sizeof(*st));
	st->listener.fd = -1;
	st->notify.fd = -1;
	st->pid_fd = -1;
}

/* Writes a string as LEN:BYTES and the line's end. */
static void
put_string(FILE *f, const char *s)
{
	if (s == NULL)
		s = "";
	fprintf(f, "%zu:%s\n", strlen(s), s);
}

/* Writes the line of a socket, unless there is none. */
static void
put_socket(FILE *f, const char *what, const struct state_socket *s)
{
	if (s->fd == -1)
		return;
	fprintf(f, "%s %d %ju %ju ", what, s->fd, (uintmax_t)s->dev,
	    (uintmax_t)s->ino);
	put_string(f, s->path);
}

/*
 * Writes the state to the file open on fd, through a buffer of its own:
 * a write(2) a line would make 65536 entries slow to hand over.
 */
static int
put_state(int fd, const struct hold_state *st)
{
	const struct held_entry *e;
	size_t i;
	FILE *f;
	int copy;

	if ((copy = dup(fd)) == -1)
		return -1;
	if ((f = fdopen(copy, "w")) == NULL) {
		close(copy);
		return -1;
	}
	fputs(STATE_MAGIC, f);
	put_socket(f, "listener", &st->listener);
	put_socket(f, "notify", &st->notify);
	if (st->pid_fd != -1) {
		fprintf(f, "pid-file %d ", st->pid_fd);
		put_string(f, st->pid_path);
	}
	for (i = 0; i < st->table.n; i++) {
		e = &st->table.entries[i];
		fprintf(f, "held %d %d ", e->fd, e->watched != 0);
		put_string(f, e->name);
	}
	fputs("end\n", f);
	if (ferror(f)) {
		fclose(f);
		errno = EIO;
		return -1;
	}
	return fclose(f) == EOF ? -1 : 0;
}

/*
 * Writes the state into a new memfd and returns it, close-on-exec, at
 * offset 0; fails with what memfd_create and write fail with.
 */
int
hold_state_write(const struct hold_state *st)
{
	int fd, saved;

	if ((fd = memfd_create("fdpass-hold-state", MFD_CLOEXEC)) == -1)
		return -1;
	if (put_state(fd, st) == -1 || lseek(fd, 0, SEEK_SET) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* Stops the parse with why; returns -1. */
static int
stop(struct cursor *c, const char *why)
{
	if (c->why == NULL)
		c->why = why;
	return -1;
}

/* Takes the word w and the space after it, if they come next. */
static int
take_word(struct cursor *c, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(c->end - c->p) <= n || memcmp(c->p, w, n) != 0 ||
	    c->p[n] != ' ')
		return 0;
	c->p += n + 1;
	return 1;
}

/*
 * Takes a decimal number no greater than max, without a leading zero,
 * and the character after it, which must be after.
 */
static int
take_number(struct cursor *c, uintmax_t max, char after, uintmax_t *v)
{
	uintmax_t n = 0, digit;
	char *start = c->p;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		digit = *c->p++ - '0';
		if (digit > max || n > (max - digit) / 10)
			return stop(c, "a number out of range");
		n = n * 10 + digit;
	}
	if (c->p == start || (*start == '0' && c->p - start > 1))
		return stop(c, "not a number where one belongs");
	if (c->p == c->end || *c->p != after)
		return stop(c, "a line that does not read as it should");
	c->p++;
	*v = n;
	return 0;
}

/* Takes a descriptor number, 3 or more, and the space after it. */
static int
take_fd(struct cursor *c, int *fd)
{
	uintmax_t v = 0;

	if (take_number(c, INT_MAX, ' ', &v) == -1)
		return -1;
	if (v < 3)
		return stop(c, "a standard stream as a held descriptor");
	*fd = (int)v;
	return 0;
}

/*
 * Takes LEN:BYTES of at most max bytes and the line's end; *s points at
 * the bytes, in place, a NUL where the newline was, or is NULL for none.
 */
static int
take_string(struct cursor *c, size_t max, char **s)
{
	uintmax_t len = 0;

	if (take_number(c, max, ':', &len) == -1)
		return -1;
	if ((uintmax_t)(c->end - c->p) <= len || c->p[len] != '\n')
		return stop(c, "a string longer than its line");
	if (memchr(c->p, '\0', len) != NULL)
		return stop(c, "a string with a NUL byte");
	c->p[len] = '\0';
	*s = len > 0 ? c->p : NULL;
	c->p += len + 1;
	return 0;
}

/* Takes the rest of a socket's line (after its word) into s. */
static int
take_socket(struct cursor *c, struct state_socket *s)
{
	uintmax_t dev = 0, ino = 0;
	char *path = NULL;

	if (take_fd(c, &s->fd) == -1 ||
	    take_number(c, UINTMAX_MAX, ' ', &dev) == -1 ||
	    take_number(c, UINTMAX_MAX, ' ', &ino) == -1 ||
	    take_string(c, sizeof(((struct sockaddr_un *)0)->sun_path) - 1,
	    &path) == -1)
		return -1;
	s->dev = (dev_t)dev;
	s->ino = (ino_t)ino;
	if (path != NULL && (s->path = strdup(path)) == NULL)
		return stop(c, "out of memory");
	return 0;
}

/* Takes the rest of an entry's line (after "held ") into t. */
static int
take_entry(struct cursor *c, struct held *t)
{
	uintmax_t watched = 0;
	char *name = NULL;
	int fd = -1;

	if (t->n == STATE_MAX_ENTRIES)
		return stop(c, "more entries than any holder keeps");
	if (take_fd(c, &fd) == -1 || take_number(c, 1, ' ', &watched) == -1 ||
	    take_string(c, WIRE_NAME_MAX, &name) == -1)
		return -1;
	if (name == NULL || !wire_name_valid(name))
		return stop(c, "an entry without a valid name");
	if (held_reserve(t, 1) == -1 || held_add(t, fd, name, watched) == -1)
		return stop(c, "out of memory");
	return 0;
}

/* Parses the lines of the state after its first into st. */
static int
take_lines(struct cursor *c, struct hold_state *st)
{
	char *path = NULL;

	if (!take_word(c, "listener") || take_socket(c, &st->listener) == -1)
		return stop(c, "no listener");
	if (take_word(c, "notify") && take_socket(c, &st->notify) == -1)
		return -1;
	if (take_word(c, "pid-file")) {
		if (take_fd(c, &st->pid_fd) == -1 ||
		    take_string(c, PATH_MAX - 1, &path) == -1)
			return -1;
		if (path == NULL || (st->pid_path = strdup(path)) == NULL)
			return stop(c, "a pid file without a path");
	}
	while (take_word(c, "held"))
		if (take_entry(c, &st->table) == -1)
			return -1;
	if (c->end - c->p != 4 || memcmp(c->p, "end\n", 4) != 0)
		return stop(c, "a line that does not read as it should");
	return 0;
}

/* Orders descriptor numbers, for qsort. */
static int
by_number(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* Gathers every descriptor st names into fds, which has room for all. */
static size_t
gather_fds(const struct hold_state *st, int *fds)
{
	size_t i, n = 0;

	fds[n++] = st->listener.fd;
	if (st->notify.fd != -1)
		fds[n++] = st->notify.fd;
	if (st->pid_fd != -1)
		fds[n++] = st->pid_fd;
	for (i = 0; i < st->table.n; i++)
		fds[n++] = st->table.entries[i].fd;
	return n;
}

/*
 * Checks that the descriptors st names are open, each named once, and
 * that none is self, the state's own memfd.
 */
static const char *
check_open(const struct hold_state *st, int self)
{
	size_t i, n;
	int *fds;

	if ((fds = calloc(st->table.n + 3, sizeof(*fds))) == NULL)
		return "out of memory";
	n = gather_fds(st, fds);
	qsort(fds, n, sizeof(*fds), by_number);
	for (i = 0; i < n; i++)
		if (fds[i] == self || (i > 0 && fds[i] == fds[i - 1]) ||
		    fcntl(fds[i], F_GETFD) == -1) {
			free(fds);
			return "a descriptor that is not open, or named twice";
		}
	free(fds);
	return NULL;
}

/* Tells whether fd is a unix socket of the given type, listening if so. */
static int
socket_is(int fd, int type, int listening)
{
	int domain, got, acc;
	socklen_t len = sizeof(int);

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == -1 ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &got, &len) == -1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) == -1)
		return 0;
	return domain == AF_UNIX && got == type && acc == listening;
}

/* Checks what each descriptor st names is; why not, or NULL. */
static const char *
check_kinds(const struct hold_state *st, int self)
{
	struct stat sb;
	const char *why;

	if ((why = check_open(st, self)) != NULL)
		return why;
	if (!socket_is(st->listener.fd, SOCK_STREAM, 1))
		return "the listener is not a listening unix stream socket";
	if (st->notify.fd != -1 && !socket_is(st->notify.fd, SOCK_DGRAM, 0))
		return "the notify socket is not a unix datagram socket";
	if (st->pid_fd != -1 && (fstat(st->pid_fd, &sb) == -1 ||
	    !S_ISREG(sb.st_mode)))
		return "the pid file is not a regular file";
	return NULL;
}

/*
 * Parses the len bytes of text at buf, which it changes, into st (its
 * strings copies), and checks that every descriptor it names is open,
 * once, and is what its line says; self is the descriptor the text came
 * from, which none may name.  Returns 0, or -1 with *why and st emptied.
 */
int
hold_state_parse(char *buf, size_t len, int self, struct hold_state *st,
    const char **why)
{
	struct cursor c = { buf, buf + len, NULL };

	hold_state_init(st);
	if (len < sizeof(STATE_MAGIC) - 1 ||
	    memcmp(buf, STATE_MAGIC, sizeof(STATE_MAGIC) - 1) != 0)
		c.why = "not a state this holder knows";
	else {
		c.p += sizeof(STATE_MAGIC) - 1;
		if (take_lines(&c, st) == 0)
			c.why = check_kinds(st, self);
	}
	if (c.why != NULL) {
		*why = c.why;
		hold_state_free(st);
		return -1;
	}
	return 0;
}

/* Reads all of the file open on fd, at most max bytes, into *buf. */
static ssize_t
read_all(int fd, size_t max, char **buf)
{
	struct stat sb;
	ssize_t n;
	size_t got = 0;

	if (fstat(fd, &sb) == -1)
		return -1;
	if (!S_ISREG(sb.st_mode) || sb.st_size > (off_t)max) {
		errno = EFBIG;
		return -1;
	}
	if ((*buf = malloc(sb.st_size + 1)) == NULL)
		return -1;
	while (got < (size_t)sb.st_size) {
		n = pread(fd, *buf + got, sb.st_size - got, got);
		if (n <= 0) {
			free(*buf);
			errno = n == 0 ? EIO : errno;
			return -1;
		}
		got += n;
	}
	return got;
}

/*
 * Reads and checks the state in the file open on fd (hold_state_parse).
 * Returns 0, or -1 with *why, or with *why NULL and errno set.
 */
int
hold_state_read(int fd, struct hold_state *st, const char **why)
{
	char *buf;
	ssize_t n;
	int ret;

	*why = NULL;
	hold_state_init(st);
	if ((n = read_all(fd, STATE_MAX_BYTES, &buf)) == -1)
		return -1;
	ret = hold_state_parse(buf, n, fd, st, why);
	free(buf);
	return ret;
}

/*
 * Sets close-on-exec on every descriptor st names, or clears it (on 0),
 * as far as it can: for all or none to pass an exec.
 */
int
hold_state_fds_cloexec(const struct hold_state *st, int on)
{
	size_t i, n;
	int *fds, ret = 0;

	if ((fds = calloc(st->table.n + 3, sizeof(*fds))) == NULL)
		return -1;
	n = gather_fds(st, fds);
	for (i = 0; i < n; i++)
		if (fcntl(fds[i], F_SETFD, on ? FD_CLOEXEC : 0) == -1)
			ret = -1;
	free(fds);
	return ret;
}

/* Frees what st holds in memory; its descriptors stay open. */
void
hold_state_free(struct hold_state *st)
{
	free(st->listener.path);
	free(st->notify.path);
	free(st->pid_path);
	held_clear(&st->table);
	hold_state_init(st);
}
