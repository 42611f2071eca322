/*
 * Describing received descriptors as JSON, for recv --json.
 *
 * Both functions write compact JSON in plain ASCII to the stream they are
 * given.  They neither print elsewhere nor exit; a failed write shows in
 * ferror(3) of the stream, which the caller checks once at the end.
 */
#ifndef FDPASS_INSPECT_H
#define FDPASS_INSPECT_H

#include <stddef.h>
#include <stdio.h>

/*
 * Writes s (len bytes, any bytes) as a JSON string literal, quotes
 * included.  Well-formed UTF-8 passes through as it is, so that paths and
 * data in it read as text; every other byte of 0x80 and above becomes
 * \u00XX, the code point of that byte value, so that the output is valid
 * JSON whatever the input.
 */
void	json_string(FILE *, const void *, size_t);
/* Writes a JSON object describing fd: number, type, path, flags, name. */
void	json_fd(FILE *, int fd, const char *name /* NULL: unnamed */);

#endif
