/*
 * Signal dispositions as fdpass found them.  A handler goes only on a
 * signal that was not ignored at start: under nohup, or as a background
 * job of sh, SIGHUP or SIGINT is ignored on purpose, and fdpass must not
 * die of it.  Each disposition and the mask are saved the first time they
 * change, and signals_restore puts exactly those back, not SIG_DFL, so
 * that COMMAND inherits what fdpass inherited.
 */
#include <string.h>

#include "signals.h"

/*
 * The dispositions found, apart from the set of those changed (empty as a
 * static: glibc's sigset_t is a bit mask), so that signals_restore reads
 * only the pages of these.
 */
static struct sigaction found[NSIG];
static sigset_t changed;

static sigset_t found_mask;
static int mask_saved;

/*
 * Sets sig's disposition to handler (or SIG_DFL, SIG_IGN), keeping the
 * disposition found at start.  Interrupted calls are restarted, but for
 * the waits that poll, which see EINTR and go on.
 */
int
signals_set(int sig, void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	/* A handler is never interrupted by another, nor by itself. */
	sigfillset(&sa.sa_mask);
	if (sigaction(sig, &sa, sigismember(&changed, sig) == 1 ?
	    NULL : &found[sig]) == -1)
		return -1;
	sigaddset(&changed, sig);
	return 0;
}

/*
 * Catches sig with handler, unless sig was ignored when fdpass started;
 * then it stays ignored.  Returns 1 when caught, 0 when left alone.
 */
int
signals_catch(int sig, void (*handler)(int))
{
	struct sigaction now;

	if (sigismember(&changed, sig) == 1)
		now = found[sig];
	else if (sigaction(sig, NULL, &now) == -1)
		return -1;
	if (now.sa_handler == SIG_IGN)
		return 0;
	return signals_set(sig, handler) == -1 ? -1 : 1;
}

/* sigprocmask(how, set), keeping the mask found at start. */
int
signals_mask(int how, const sigset_t *set)
{
	if (sigprocmask(how, set, mask_saved ? NULL : &found_mask) == -1)
		return -1;
	mask_saved = 1;
	return 0;
}

/*
 * Puts back every disposition changed and the signal mask, as fdpass
 * found them: before exec, and in a child that is to behave as fdpass's
 * own parent set it up.  Safe after fork.
 */
void
signals_restore(void)
{
	int sig;

	for (sig = 1; sig < NSIG; sig++) {
		if (sigismember(&changed, sig) != 1)
			continue;
		sigaction(sig, &found[sig], NULL);
		sigdelset(&changed, sig);
	}
	if (mask_saved) {
		sigprocmask(SIG_SETMASK, &found_mask, NULL);
		mask_saved = 0;
	}
}
