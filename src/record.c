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

#include "record.h"
#include "stdstreams.h"

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
 * from the socket, however large.  0, or -1 if writing failed, which
 * stdout_flush has said.
 */
int
record_accepted(struct record *rec)
{
	int ret;

	if (!rec->holding)
		return 0;
	if (fclose(rec->out) == EOF)
		err(1, "memory");
	rec->out = stdout;
	rec->holding = 0;
	fwrite(rec->buf, 1, rec->len, rec->out);
	ret = stdout_flush();
	free(rec->buf);
	rec->buf = NULL;
	return ret;
}

/*
 * Pushes out what was printed to standard output so far, if the record
 * is there rather than in memory.  0, or -1 if writing failed, which
 * stdout_flush has said.
 */
int
record_flush(const struct record *rec)
{
	return rec->out == stdout ? stdout_flush() : 0;
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

/*
 * Writes the record in memory to standard output in one piece, holding
 * the lock the other children wait on, unless the sender on sock (-1:
 * none waits for a reply) has gone meanwhile.
 */
static enum record_end
write_record(struct record *rec, int sock)
{
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	enum record_end end = RECORD_OUT;

	if (fclose(rec->out) == EOF)
		err(1, "memory");
	rec->out = NULL;
	while (fcntl(rec->lock, F_SETLKW, &lk) == -1)
		if (errno != EINTR)
			err(1, "lock");
	if (sock != -1 && sender_gone(sock))
		end = RECORD_SENDER_GONE;
	else if (stdout_write(rec->buf, rec->len) == -1)
		end = RECORD_FAILED;
	lk.l_type = F_UNLCK;
	fcntl(rec->lock, F_SETLK, &lk);
	free(rec->buf);
	rec->buf = NULL;
	return end;
}

/*
 * Puts out what the transfers printed: the record in memory, unless the
 * sender on sock (-1: none waits for a reply) has gone meanwhile, or what
 * is still buffered for standard output.  A write that failed has been
 * said (stdout_flush).
 */
enum record_end
record_finish(struct record *rec, int sock)
{
	if (rec->out != stdout)
		return write_record(rec, sock);
	return stdout_flush() == -1 ? RECORD_FAILED : RECORD_OUT;
}
