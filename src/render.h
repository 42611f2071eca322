/*
 * What recv prints about received descriptors and their data: keyword
 * lines, "fd" per descriptor, "data" for the data, "end" after each
 * transfer, or a JSON object per transfer (fdpass(1), OUTPUT).
 */
#ifndef FDPASS_RENDER_H
#define FDPASS_RENDER_H

#include <stddef.h>
#include <stdio.h>

#include "msg.h"
#include "transfer.h"

/* The most data bytes on one "data" line. */
#define DATA_LINE_MAX	1024

/* A transfer's data being printed as "data" lines. */
struct data_lines {
	size_t	open;		/* bytes on the line not yet ended, or 0 */
};

void	render_fds(FILE *, const struct receiver *, size_t);
void	render_held(FILE *, const struct receiver *, int);
void	render_json(FILE *, const struct receiver *, size_t, const void *,
	    size_t, const struct fdp_peer *);
void	render_data(FILE *, struct data_lines *, const char *, size_t);
void	render_data_done(FILE *, struct data_lines *);
void	render_end(FILE *);

#endif
