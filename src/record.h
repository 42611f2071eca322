/*
 * What recv prints about a sender's transfers, put out only once they are
 * accepted: held in memory until then, and under --keep-listening written
 * in one piece under a lock the children share, so that records never mix.
 */
#ifndef FDPASS_RECORD_H
#define FDPASS_RECORD_H

#include <stddef.h>
#include <stdio.h>

struct record {
	FILE	*out;		/* stdout, a record in memory, or NULL */
	char	*buf;		/* the record in memory... */
	size_t	 len;		/* ...and its length, once out is closed */
	int	 holding;	/* out holds a record for stdout */
	int	 lock;		/* the children's print lock, or -1 */
};

/* How putting out a record ended. */
enum record_end {
	RECORD_OUT,		/* written */
	RECORD_SENDER_GONE,	/* not written: its sender gave up */
	RECORD_FAILED,		/* writing failed, and that was said */
};

void	record_init(struct record *);
int	record_share(struct record *);
void	record_hold(struct record *);
void	record_in_memory(struct record *);
int	record_accepted(struct record *);
int	record_flush(const struct record *);
enum record_end	record_finish(struct record *, int);
int	sender_gone(int);

#endif
