/*
 * Standard input, output and error: which were closed when fdpass
 * started, and the check of every write to standard output at exit.
 */
#ifndef FDPASS_STDSTREAMS_H
#define FDPASS_STDSTREAMS_H

#include <stddef.h>

void	std_streams_init(void);
void	std_stream_needed(int, const char *);
int	stdout_flush(void);
int	stdout_write(const void *, size_t);

#endif
