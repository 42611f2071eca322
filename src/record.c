/*
 * The output record of recv: what it prints about a sender's transfers is
 * a commitment, so it goes out only once they are accepted.  A transfer
 * refused once some of it has come prints nothing.
 */
#include <sys/mman.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "record.h"

/* Prints straight to standard output, with no lock shared. */
void
record_init(struct record *rec)
{
	rec->out = stdout;
	rec->buf = NULL;
	rec->len = 0;
	rec->holding = 0;
	rec->lock = -1;
}

/*
 * Makes the lock the children of --keep-listening hold while they print:
 * a memfd's record lock, which goes with a child should it die holding
 * it.  0, or -1 with errno set.
 */
int
record_share(struct record *rec)
{
	return (rec->lock = memfd_create("fdpass-print", MFD_CLOEXEC)) == -1 ?
	    -1 : 0;
}

/*
 * Holds what is printed in memory (but in a child of --keep-listening,
 * which holds its record anyway), so that a transfer refused once some
 * of it has come prints nothing.
 */
void
record_hold(struct record *rec)
{
	if ((rec->out = open_memstream(&rec->buf, &rec->len)) == NULL)
		err(1, "memory");
	rec->holding = 1;
}

/*
 * In a child of --keep-listening: prints into a record in memory that
 * goes out in one piece once the transfer is complete (record_finish).
 */
void
record_in_memory(struct record *rec)
{
	if ((rec->out = open_memstream(&rec->buf, &rec->len)) == NULL)
		err(1, "memory");
}

/*
 * The transfer is accepted: writes what was held to standard output, and
 * prints there from now on.  The data of the last transfer then streams
 * from the socket, however large.
 */
void
record_accepted(struct record *rec)
{
	if (!rec->holding)
		return;
	if (fclose(rec->out) == EOF)
		err(1, "memory");
	rec->out = stdout;
	rec->holding = 0;
	if (fwrite(rec->buf, 1, rec->len, rec->out) != rec->len)
		err(1, "stdout");
	free(rec->buf);
	rec->buf = NULL;
}

/*
 * Tells whether the sender that asked for a reply on sock has gone, as
 * one that gave up waiting has: what it sent is then not printed, so a
 * sender that tries again does not deliver twice.
 */
int
sender_gone(int sock)
{
	struct pollfd pfd = { sock, 0, 0 };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP | POLLERR));
}

/* Writes the len bytes at buf to standard output; exits if it cannot. */
static void
write_out(const char *buf, size_t len)
{
	size_t off;
	ssize_t n;

	for (off = 0; off < len; off += n)
		if ((n = write(STDOUT_FILENO, buf + off, len - off)) == -1 &&
		    errno != EINTR)
			err(1, "stdout");
		else if (n == -1)
			n = 0;
}

/*
 * Writes the record in memory to standard output in one piece, holding
 * the lock the other children wait on, unless the sender on sock (-1:
 * none waits for a reply) has gone meanwhile.  0, or -1 if it has.
 */
static int
write_record(struct record *rec, int sock)
{
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int gone;

	if (fclose(rec->out) == EOF)
		err(1, "memory");
	rec->out = NULL;
	while (fcntl(rec->lock, F_SETLKW, &lk) == -1)
		if (errno != EINTR)
			err(1, "lock");
	if (!(gone = sock != -1 && sender_gone(sock)))
		write_out(rec->buf, rec->len);
	lk.l_type = F_UNLCK;
	fcntl(rec->lock, F_SETLK, &lk);
	free(rec->buf);
	rec->buf = NULL;
	return gone ? -1 : 0;
}

/*
 * Puts out what the transfers printed: the record in memory, unless the
 * sender on sock (-1: none waits for a reply) has gone meanwhile, or what
 * is still buffered for standard output.  0, or -1 if the sender has gone.
 */
int
record_finish(struct record *rec, int sock)
{
	if (rec->out != stdout)
		return write_record(rec, sock);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
	return 0;
}
