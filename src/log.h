/* Warnings as whole lines, each in one write to standard error. */
#ifndef FDPASS_LOG_H
#define FDPASS_LOG_H

void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif
