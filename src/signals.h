/*
 * Signal dispositions and the signal mask, changed only through here so
 * that what fdpass found at start can be put back exactly before exec.
 */
#ifndef FDPASS_SIGNALS_H
#define FDPASS_SIGNALS_H

#include <signal.h>

int	signals_set(int, void (*)(int));
int	signals_catch(int, void (*)(int));
int	signals_mask(int, const sigset_t *);
void	signals_restore(void);

#endif
