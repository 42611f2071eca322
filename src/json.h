/*
 * Describing received descriptors as JSON, for recv --json.
 *
 * Both functions write compact JSON in plain ASCII to the stream they are
 * given.  They neither print elsewhere nor exit; a failed write shows in
 * ferror(3) of the stream, which the caller checks once at the end.
 */
#ifndef FDPASS_JSON_H
#define FDPASS_JSON_H

#include <stddef.h>
#include <stdio.h>

/*
 * Writes s (len bytes, any bytes) as JSON.  Well-formed UTF-8 is a string
 * literal, quotes included, passed through as it is so that paths and
 * data read as text.  Anything else is an array of the byte values, as
 * journalctl's JSON has it: the original bytes can be had back, and never
 * read as a different, valid string.
 */
void	json_string(FILE *, const void *, size_t);
/* Writes a JSON object describing fd: number, type, path, flags, name. */
void	json_fd(FILE *, int fd, const char *name /* NULL: unnamed */);

#endif
