/*
 * The data bytes fdpass send passes with its descriptors: --data, or
 * --data-file streamed or read into memory first.
 */
#ifndef FDPASS_SEND_DATA_H
#define FDPASS_SEND_DATA_H

#include "deadline.h"
#include "options.h"
#include "sources.h"

void	send_data_prepare(struct payload *, const char *, const char *,
	    const struct socket_options *, int, const struct deadline *);

#endif
