/*
 * The one owner of fdpass's side effects on the file system.  Each file is
 * recorded with the device and inode it had when this process made it,
 * and removed only while the path still names that file, so that a file
 * somebody else put there since is never touched.
 *
 * Undoing runs at exit and from the handler of a fatal signal, so it
 * uses only unlink(2) and lstat(2), and the lists it reads are changed
 * with those signals blocked.  It runs only in the process that owns the
 * files: one forked (to serve a sender, or between fork and exec) that is
 * killed before it could forget them leaves them to its parent.
 */
#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "signals.h"

/* A file made by this process, to be removed while it is still the same. */
struct made {
	char	*path;
	dev_t	 dev;
	ino_t	 ino;
};

/* The signals that would end the process without its exit handlers. */
static const int fatal_signals[] = { SIGHUP, SIGINT, SIGPIPE, SIGTERM };

static pid_t owner;			/* 0 until there is something to undo */
static struct listener **listeners;	/* their files, while listening */
static size_t nlisteners;
static struct made pid_file;
static struct made *made;		/* files made for the transfer */
static size_t nmade;

/* Removes f->path if it is still the file that was made; signal-safe. */
static void
remove_made(struct made *f)
{
	struct stat st;

	if (f->path == NULL)
		return;
	if (lstat(f->path, &st) == 0 && st.st_dev == f->dev &&
	    st.st_ino == f->ino)
		unlink(f->path);
	/* Done: no file has inode 0.  The path stays, not freed here. */
	f->dev = 0;
	f->ino = 0;
}

/* Undoes everything still recorded, in the owner only; signal-safe. */
static void
undo_all(void)
{
	size_t i;
	int saved = errno;

	if (owner == 0 || getpid() != owner)
		return;
	for (i = 0; i < nlisteners; i++)
		listener_remove(listeners[i]);
	remove_made(&pid_file);
	for (i = 0; i < nmade; i++)
		remove_made(&made[i]);
	errno = saved;
}

/* Undoes what is recorded, then dies of the signal as if not caught. */
static void
on_fatal_signal(int sig)
{
	undo_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * Blocks the fatal signals, the mask before in *old, so that the handler
 * never sees a list half changed.  sigprocmask(SIG_SETMASK, old) ends it.
 */
static void
block_fatal_signals(sigset_t *old)
{
	sigset_t set;
	size_t i;

	sigemptyset(&set);
	for (i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		sigaddset(&set, fatal_signals[i]);
	sigprocmask(SIG_BLOCK, &set, old);
}

/*
 * Makes this process the owner of what is recorded, the first time with
 * the exit handler and the signal handlers; a signal ignored at start
 * stays ignored.
 */
static void
take_on(void)
{
	size_t i;

	if (owner != 0) {
		owner = getpid();
		return;
	}
	owner = getpid();
	atexit(undo_all);
	for (i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		signals_catch(fatal_signals[i], on_fatal_signal);
}

/* Records a file as made by this process; exits 1 on no memory. */
static void
record(struct made *f, const char *path, dev_t dev, ino_t ino)
{
	if ((f->path = strdup(path)) == NULL)
		err(1, "memory");
	f->dev = dev;
	f->ino = ino;
}

/*
 * Removes l's socket file when the process ends, unless done before: the
 * listener's, and a holder's --notify-socket beside it.  Exits 1 on no
 * memory.
 */
void
cleanup_listener(struct listener *l)
{
	struct listener **grown;
	sigset_t old;

	take_on();
	block_fatal_signals(&old);
	if ((grown = reallocarray(listeners, nlisteners + 1,
	    sizeof(struct listener *))) == NULL)
		err(1, "memory");
	listeners = grown;
	listeners[nlisteners++] = l;
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/*
 * The listener has served its one peer: its socket file goes now.  The
 * pid file stays while the process lives, and past an exec names
 * COMMAND, which has the same pid.
 */
void
cleanup_listener_done(void)
{
	sigset_t old;
	size_t i;

	block_fatal_signals(&old);
	for (i = 0; i < nlisteners; i++)
		listener_remove(listeners[i]);
	free(listeners);
	listeners = NULL;
	nlisteners = 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* Removes the pid file at path, made as dev/ino, when the process ends. */
void
cleanup_pid_file(const char *path, dev_t dev, ino_t ino)
{
	sigset_t old;

	take_on();
	block_fatal_signals(&old);
	record(&pid_file, path, dev, ino);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/*
 * Removes a file made for the transfer when the process ends, unless the
 * receiver has taken it first (cleanup_made_delivered).
 */
void
cleanup_made(const char *path, dev_t dev, ino_t ino)
{
	struct made *grown;
	sigset_t old;

	take_on();
	block_fatal_signals(&old);
	if ((grown = reallocarray(made, nmade + 1, sizeof(*made))) == NULL)
		err(1, "memory");
	made = grown;
	record(&made[nmade], path, dev, ino);
	nmade++;
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/*
 * Holds the fatal signals back, the mask before in *old, while a file is
 * made and then recorded with cleanup_made: one that came in between
 * would leave it, as a signal before the record does, under a name only
 * the maker knows.  cleanup_release(old) lets them come, to be undone.
 */
void
cleanup_hold(sigset_t *old)
{
	block_fatal_signals(old);
}

void
cleanup_release(const sigset_t *old)
{
	sigprocmask(SIG_SETMASK, old, NULL);
}

/* The receiver has the descriptors: the files made for them are its. */
void
cleanup_made_delivered(void)
{
	sigset_t old;
	size_t i;

	block_fatal_signals(&old);
	for (i = 0; i < nmade; i++)
		free(made[i].path);
	free(made);
	made = NULL;
	nmade = 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/*
 * Makes this process, forked to carry on in the background, the owner
 * of everything recorded; the parent that forked it forgets.
 */
void
cleanup_adopt(void)
{
	if (owner != 0)
		owner = getpid();
}

/*
 * For a process about to exec: puts the signal dispositions back as they
 * were found, and leaves what is recorded in place, the pid file above
 * all, which goes on naming the process as COMMAND.  Nobody is left to
 * remove it then; a later fdpass takes it over once the pid is gone, as
 * a daemon's.  Should the exec fail, cleanup_exec_failed undoes it all.
 */
void
cleanup_before_exec(void)
{
	signals_restore();
}

/* Undoes what is recorded, in its owner, before _exit; signal-safe. */
void
cleanup_exec_failed(void)
{
	undo_all();
}

/*
 * Leaves everything recorded to whoever owns it, and puts the signal
 * dispositions back as they were found: in a process that hands the
 * files over to another (cleanup_adopt) and ends.
 */
void
cleanup_forget(void)
{
	owner = -1;
	signals_restore();
}
