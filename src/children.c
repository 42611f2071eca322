/*
 * recv's children.  SIGCHLD gets a handler even when it was ignored at
 * start, or recv could not collect its command's status; the handler only
 * writes a byte on a pipe that the main flow polls, and waitpid runs
 * there.  SIGTERM, SIGINT and SIGHUP, unless ignored at start, are passed
 * on to every child still running; a listener then dies of the signal the
 * way it did before (cleanup.c's handler), a process waiting for its one
 * command goes on waiting and exits with its status.
 *
 * The table of children changes only with those signals blocked, so the
 * handler never sees it half changed, and a child is in it from the
 * moment it exists.
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "children.h"
#include "signals.h"

/* The signals passed on. */
static const int passed_on[] = { SIGTERM, SIGINT, SIGHUP };

static pid_t *pids;
static size_t npids, maxpids;
static int wake[2] = { -1, -1 };	/* the self-pipe for SIGCHLD */
static int then_die;
static struct sigaction before[NSIG];	/* what handled a passed-on one */
static volatile sig_atomic_t unpassed;	/* came before the one child */

static void
on_child(int sig)
{
	int saved = errno;

	(void)sig;
	(void)write(wake[1], "", 1);
	errno = saved;
}

/* Passes sig on; a listener then goes on as its handler before did. */
static void
on_stop(int sig)
{
	size_t i;
	int saved = errno;

	for (i = 0; i < npids; i++)
		kill(pids[i], sig);
	if (npids == 0 && !then_die)
		unpassed = sig;
	errno = saved;
	if (!then_die)
		return;
	if (before[sig].sa_handler != SIG_DFL &&
	    before[sig].sa_handler != SIG_IGN) {
		before[sig].sa_handler(sig);
		return;
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The signals of both kinds, to hold back while the table changes. */
static void
handled(sigset_t *set)
{
	size_t i;

	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	for (i = 0; i < sizeof(passed_on) / sizeof(passed_on[0]); i++)
		sigaddset(set, passed_on[i]);
}

/*
 * Takes charge of up to max children; die says whether a passed-on
 * signal then ends this process.  Returns 0, or -1 with errno set.
 */
int
children_init(size_t max, int die)
{
	size_t i;

	if ((pids = reallocarray(NULL, max, sizeof(*pids))) == NULL ||
	    pipe2(wake, O_CLOEXEC | O_NONBLOCK) == -1)
		return -1;
	maxpids = max;
	npids = 0;
	then_die = die;
	if (signals_set(SIGCHLD, on_child) == -1)
		return -1;
	for (i = 0; i < sizeof(passed_on) / sizeof(passed_on[0]); i++) {
		if (sigaction(passed_on[i], NULL, &before[passed_on[i]]) ==
		    -1 || signals_catch(passed_on[i], on_stop) == -1)
			return -1;
	}
	return 0;
}

/*
 * Forks a child, recorded before any signal can be passed on; fails with
 * EAGAIN when max are running.  In the child, which has none of its own
 * yet, the dispositions and the mask are back as recv found them.
 */
pid_t
children_fork(void)
{
	sigset_t set, old;
	pid_t pid;

	if (npids == maxpids) {
		errno = EAGAIN;
		return -1;
	}
	handled(&set);
	sigprocmask(SIG_SETMASK, NULL, &old);
	if (signals_mask(SIG_BLOCK, &set) == -1)
		return -1;
	if ((pid = fork()) == 0) {
		close(wake[0]);
		close(wake[1]);
		free(pids);
		pids = NULL;
		npids = maxpids = 0;
		signals_restore();
		return 0;
	}
	if (pid > 0) {
		pids[npids++] = pid;
		/*
		 * One that came after children_init, with no child yet to
		 * take it, is this child's: recv --wait forks only one.
		 */
		if (unpassed != 0)
			kill(pid, unpassed);
	}
	signals_mask(SIG_SETMASK, &old);
	return pid;
}

/* The descriptor to poll for POLLIN: a child may have ended. */
int
children_wake_fd(void)
{
	return wake[0];
}

/* Takes pid out of the table, once reaped; signals held back. */
static void
forget(size_t i)
{
	pids[i] = pids[--npids];
}

/* Reaps the children that have ended; returns how many still run. */
size_t
children_reap(void)
{
	sigset_t set, old;
	char buf[64];
	size_t i;

	while (read(wake[0], buf, sizeof(buf)) > 0)
		continue;
	handled(&set);
	sigprocmask(SIG_SETMASK, NULL, &old);
	signals_mask(SIG_BLOCK, &set);
	for (i = 0; i < npids; ) {
		if (waitpid(pids[i], NULL, WNOHANG) > 0)
			forget(i);
		else
			i++;
	}
	signals_mask(SIG_SETMASK, &old);
	return npids;
}

/*
 * Waits for the child pid and returns its status as a shell reports it,
 * or -1 with errno set.  It stays in the table, to be passed signals,
 * until reaped.
 */
int
children_wait(pid_t pid)
{
	siginfo_t info;
	sigset_t set, old;
	int status;
	size_t i;

	/* Not reaped yet, so that no signal goes to a pid used again. */
	while (waitid(P_PID, pid, &info, WEXITED | WNOWAIT) == -1)
		if (errno != EINTR)
			break;
	handled(&set);
	sigprocmask(SIG_SETMASK, NULL, &old);
	signals_mask(SIG_BLOCK, &set);
	if (waitpid(pid, &status, 0) == -1) {
		status = errno;
		signals_mask(SIG_SETMASK, &old);
		errno = status;
		return -1;
	}
	for (i = 0; i < npids; i++)
		if (pids[i] == pid)
			forget(i);
	signals_mask(SIG_SETMASK, &old);
	return WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status);
}
