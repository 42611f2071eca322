/*
 * Handing received descriptors on to a child at the numbers it expects.
 */
#ifndef FDPASS_PLACEMENT_H
#define FDPASS_PLACEMENT_H

#include <stddef.h>

int	place_fds(int *, const int *, size_t);

#endif
