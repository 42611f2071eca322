/*
 * Warnings as warn(3) and warnx(3) print them, but each line in one
 * write(2): glibc's functions write the program's name, the message and
 * the newline apart, so that the holder's threads, or recv's children
 * beside their parent, mixed their lines up.  A line longer than the
 * buffer is cut short, its newline kept.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX	2048

/*
 * Writes "fdpass: " and what fmt and ap say, then ": " and errnum's
 * text unless errnum is -1, as one line; errno stays as it was.
 */
static void
log_line(int errnum, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	size_t len;
	ssize_t n;
	int saved = errno;

	len = (size_t)snprintf(line, sizeof(line), "%s: ",
	    program_invocation_short_name);
	if (len < sizeof(line))
		len += (size_t)vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	if (errnum != -1 && len < sizeof(line))
		len += (size_t)snprintf(line + len, sizeof(line) - len, ": %s",
		    strerror(errnum));
	if (len > sizeof(line) - 1)
		len = sizeof(line) - 1;
	line[len++] = '\n';
	do
		n = write(STDERR_FILENO, line, len);
	while (n == -1 && errno == EINTR);
	errno = saved;
}

/* warn(3), in one write. */
void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int errnum = errno;

	va_start(ap, fmt);
	log_line(errnum, fmt, ap);
	va_end(ap);
}

/* warnx(3), in one write. */
void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(-1, fmt, ap);
	va_end(ap);
}
