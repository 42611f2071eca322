/*
 * What recv prints about received descriptors and their data: a text
 * record per descriptor, or a JSON object per transfer (fdpass(1),
 * OUTPUT).
 */
#ifndef FDPASS_RENDER_H
#define FDPASS_RENDER_H

#include <stddef.h>
#include <stdio.h>

#include "msg.h"
#include "transfer.h"

void	render_fds(FILE *, const struct receiver *, size_t);
void	render_json(FILE *, const struct receiver *, size_t, const void *,
	    size_t, const struct fdp_peer *);
int	render_data(FILE *, struct receiver *);

#endif
