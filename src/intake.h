/*
 * Taking in what a sender sends, for receiver.c alone: bytes, the
 * descriptors that come with them and their sender's credentials.
 */
#ifndef FDPASS_INTAKE_H
#define FDPASS_INTAKE_H

#include <sys/types.h>

#include <stddef.h>

#include "transfer.h"

int	intake_fail(struct receiver *, const char *);
ssize_t	intake_recv(struct receiver *, void *, size_t, int);
ssize_t	intake_fill(struct receiver *);
int	intake_take(struct receiver *, void *, size_t);
int	intake_more_waits(const struct receiver *);

#endif
