/*
 * Telling the user what a received descriptor is.
 */
#ifndef FDPASS_DESCRIBE_H
#define FDPASS_DESCRIBE_H

#include <stddef.h>

const char	*describe_type(int, const char *);
int		 describe_path(int, char *, size_t);
int		 describe_address(int, int, char *, size_t);

#endif
