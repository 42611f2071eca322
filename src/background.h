/*
 * recv --background, --ready-fd and --pid-file: telling whoever started
 * fdpass that its socket is listening, so that a script need not poll.
 */
#ifndef FDPASS_BACKGROUND_H
#define FDPASS_BACKGROUND_H

#include "options.h"

int	announce_fork(const struct announce *);
int	announce_ready(const struct announce *, int);
int	announce_listening(const struct announce *);

#endif
