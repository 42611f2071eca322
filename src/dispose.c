/*
 * Descriptors that a peer sent are closed in another process, as
 * systemd's asynchronous_close() closes them elsewhere: a TCP socket
 * with SO_LINGER and unsent data makes whoever drops the last reference
 * wait up to the linger the peer chose, and so does a unix connection
 * with such a socket still queued on it.
 *
 * That process, the disposer, is started on the first drop and kept: a
 * fork per drop made a flood of refused peers a flood of processes, and
 * the holder drops from several threads, many times a second.  It is a
 * grandchild, so that no COMMAND exec'd later has it as a child, and it
 * holds nothing but its end of a SOCK_SEQPACKET pair.  A drop sends the
 * descriptors there, closes them here, then says so in a second message:
 * the disposer closes its copies only then, so that the last close is
 * always its own.  It closes under a repeating SIGALRM: a pending signal
 * ends a lingering close(2) at once.  When no process has the other end
 * any more (exec, exit), it reads end of file and exits.
 *
 * A disposer that stays full, backed up by lingering closes, or that is
 * gone, is killed through a pidfd, which names no recycled pid: a dying
 * process closes without lingering.  Another is started in its place.
 * (Where there is no pidfd, the first one ends within a close, finding
 * our end closed.)
 * Should none start, the descriptors are kept here, close-on-exec, for
 * the next drop, or for the exit, which does not linger either; but an
 * exec would, so a process with descriptors kept does not exec
 * (dispose_before_exec).
 *
 * A mutex keeps it whole across threads, and across fork(2).  A forked
 * child (recv -k serves each sender in one) lets go of its parent's
 * disposer, which pairs each batch with the word after it and so takes
 * one sender only, and starts its own on its first drop: only the
 * process that started a disposer kills it.
 */
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <linux/sockios.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dispose.h"

/* How long one close(2) in the disposer may take at most, in µs. */
#define DISPOSE_CLOSE_US	100000

/*
 * How long a full disposer has to make room for a drop, as one that
 * closes at its usual pace does within a millisecond, before it is
 * taken for stuck and replaced.
 */
#define DISPOSE_ROOM_MS		50

/*
 * This process's disposer, and the descriptors kept for want of one.
 * One per process, as the callers, from any thread or layer, have no
 * state to pass down; so file scope, behind the lock.
 */
static struct {
	pthread_mutex_t	 lock;
	pid_t		 starter;	/* who started it; 0: none known */
	int		 sock;		/* our end of the pair */
	ino_t		 ino;		/* sock's, to know it is still ours */
	int		 pidfd;
	int		*kept;
	size_t		 nkept;
	size_t		 capkept;
} disposer = { PTHREAD_MUTEX_INITIALIZER, 0, -1, 0, -1, NULL, 0, 0 };

static pthread_once_t disposer_once = PTHREAD_ONCE_INIT;

/* Closes the n descriptors at fds in this process. */
static void
close_here(const int *fds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		close(fds[i]);
}

/* Does nothing: SIGALRM is there to end a lingering close(2). */
static void
interrupt(int sig)
{
	(void)sig;
}

/*
 * The disposer: closes every descriptor but sock, leaves the directory,
 * blocks every signal but SIGALRM, then closes what each message brings,
 * each close(2) cut short by a SIGALRM within DISPOSE_CLOSE_US, until
 * the other end is closed; then its exit closes what it still has,
 * without lingering.  Only async-signal-safe calls: the process it was
 * forked from may have had threads.
 */
static void __attribute__((noreturn))
dispose_forever(int sock)
{
	struct itimerval tick = { { 0, DISPOSE_CLOSE_US },
	    { 0, DISPOSE_CLOSE_US } }, off = { { 0, 0 }, { 0, 0 } };
	struct pollfd hup = { sock, POLLRDHUP, 0 };
	struct sigaction sa;
	int fds[FDP_MAX_FDS_PER_MSG], none;
	size_t n, zero;
	char c;

	if (sock > 0)
		close_range(0, sock - 1, 0);
	close_range(sock + 1, ~0U, 0);
	chdir("/");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = interrupt;
	sigaction(SIGALRM, &sa, NULL);
	sigfillset(&sa.sa_mask);
	sigdelset(&sa.sa_mask, SIGALRM);
	sigprocmask(SIG_SETMASK, &sa.sa_mask, NULL);
	/*
	 * The message after the descriptors says the caller's are closed.
	 * Once no process has the other end, what is still queued goes with
	 * the exit.
	 */
	while (fdp_recv_fds(sock, fds, FDP_MAX_FDS_PER_MSG, &n, &c, 1) > 0 &&
	    fdp_recv_fds(sock, &none, 0, &zero, &c, 1) > 0) {
		setitimer(ITIMER_REAL, &tick, NULL);
		close_here(fds, n);
		setitimer(ITIMER_REAL, &off, NULL);
		if (poll(&hup, 1, 0) == 1)
			break;
	}
	_exit(0);
}

/*
 * In a child of the caller: forks the disposer, and sends the caller on
 * sock a pidfd for it, opened while it is this child's own, so that its
 * pid cannot have been reaped and given to another; or no pidfd, where
 * there is none to be had (valgrind 3.19 knows no pidfd_open).
 */
static void __attribute__((noreturn))
spawn_disposer(int sock)
{
	pid_t pid;
	int pidfd;

	if ((pid = _Fork()) == 0)
		dispose_forever(sock);
	if (pid == -1)
		_exit(1);
	pidfd = pidfd_open(pid, 0);
	if (fdp_send_fds(sock, &pidfd, pidfd != -1, "", 1) == -1) {
		kill(pid, SIGKILL);
		_exit(1);
	}
	_exit(0);
}

/* Starts this process's disposer: 0, or -1 when none could start. */
static int
start(void)
{
	struct stat st;
	sigset_t all, old;
	size_t n = 0;
	pid_t pid;
	int sv[2], pidfd = -1;
	char c;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	/*
	 * The processes forked here end with _exit(2), which writes nothing
	 * stdio holds; valgrind's exit, which frees libc, would write it a
	 * second time.  No handler of this process's may run in them.
	 */
	fflush(stdout);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if ((pid = _Fork()) == 0)
		spawn_disposer(sv[1]);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(sv[1]);
	while (pid > 0 && waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		continue;
	/*
	 * Once the child has gone, its word is there or never comes: no
	 * wait.  Nor does any send here wait, but as send_in_time says.
	 */
	if (pid == -1 || fcntl(sv[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fstat(sv[0], &st) == -1 ||
	    fdp_recv_fds(sv[0], &pidfd, 1, &n, &c, 1) != 1) {
		close(sv[0]);
		return -1;
	}
	disposer.starter = getpid();
	disposer.sock = sv[0];
	disposer.ino = st.st_ino;
	disposer.pidfd = pidfd;
	return 0;
}

/*
 * Reaps the killed disposer if it is this process's child, as it is when
 * this process is PID 1 of a namespace or a subreaper: no zombie piles
 * up, and no COMMAND exec'd later finds a child it did not start.  Any
 * other parent has it: ECHILD at once.  Killed, it dies without waiting.
 */
static void
reap(int pidfd)
{
	siginfo_t info;

	while (waitid(P_PIDFD, pidfd, &info, WEXITED) == -1 && errno == EINTR)
		continue;
}

/*
 * Lets go of the disposer: killed if this process started it, left to
 * its starter otherwise.  Without a pidfd, it ends on its own as soon
 * as its current close does, finding this end closed.
 */
static void
stop(void)
{
	if (disposer.pidfd != -1) {
		if (disposer.starter == getpid() &&
		    pidfd_send_signal(disposer.pidfd, SIGKILL, NULL, 0) == 0)
			reap(disposer.pidfd);
		close(disposer.pidfd);
	}
	close(disposer.sock);
	disposer.starter = 0;
}

/*
 * Tells whether this process has a disposer to send to.  A forked child
 * lets go of its parent's, as the disposer takes one sender's messages
 * in turn (hand_batch).  A socket that is no longer itself, as after a
 * close of every descriptor before an exec, is forgotten, its number no
 * longer ours to close: a drop must go to no other socket.
 */
static int
known(void)
{
	struct stat st;

	if (disposer.starter == 0)
		return 0;
	if (fstat(disposer.sock, &st) == -1 || st.st_ino != disposer.ino) {
		disposer.starter = 0;
		return 0;
	}
	if (disposer.starter != getpid()) {
		stop();
		return 0;
	}
	return 1;
}

/*
 * Sends the disposer one message: the n descriptors at fds, at most
 * FDP_MAX_FDS_PER_MSG, or none; never waits.  0, or -1 with errno set.
 */
static int
send_now(const int *fds, size_t n)
{
	struct fdp_ancil rights = { SOL_SOCKET, SCM_RIGHTS, n * sizeof(int),
	    fds };
	struct iovec iov = { (void *)"", 1 };

	return fdp_send(disposer.sock, &iov, 1, &rights, n > 0,
	    MSG_DONTWAIT) == -1 ? -1 : 0;
}

/* send_now, giving a full disposer DISPOSE_ROOM_MS to make room. */
static int
send_in_time(const int *fds, size_t n)
{
	struct pollfd pfd = { disposer.sock, POLLOUT, 0 };

	if (send_now(fds, n) == 0)
		return 0;
	if (errno != EAGAIN || poll(&pfd, 1, DISPOSE_ROOM_MS) != 1)
		return -1;
	return send_now(fds, n);
}

/*
 * Hands the disposer the n descriptors at fds, one message's worth:
 * sends them, closes them here, then says so in a second message, as
 * the disposer closes its copies only then; were it first, the close
 * here would be the last.  Starts a disposer if need be, and another in
 * place of one that does not take them.  0, or -1 when none did, the
 * descriptors still open here.
 */
static int
hand_batch(const int *fds, size_t n)
{
	int tries;

	for (tries = 0; tries < 2; tries++) {
		if (!known() && start() == -1)
			return -1;
		if (send_in_time(fds, n) == 0)
			break;
		stop();
	}
	if (tries == 2)
		return -1;
	close_here(fds, n);
	/* One that misses the word dies, closing them without lingering. */
	if (send_in_time(NULL, 0) == -1)
		stop();
	return 0;
}

/*
 * hand_batch for any number of descriptors; returns how many went, the
 * first ones, the others still open here.
 */
static size_t
hand_over(const int *fds, size_t n)
{
	size_t done, batch;

	for (done = 0; done < n; done += batch) {
		batch = n - done;
		if (batch > FDP_MAX_FDS_PER_MSG)
			batch = FDP_MAX_FDS_PER_MSG;
		if (hand_batch(fds + done, batch) == -1)
			break;
	}
	return done;
}

/*
 * Keeps the n descriptors at fds, close-on-exec, for a later disposer
 * or the exit.  Short of memory too, it closes them here, as a last
 * resort that may wait.
 */
static void
keep(const int *fds, size_t n)
{
	size_t i, cap = disposer.capkept;
	int *kept = disposer.kept;

	while (cap - disposer.nkept < n)
		cap = cap == 0 ? 64 : 2 * cap;
	if (cap != disposer.capkept &&
	    (kept = reallocarray(kept, cap, sizeof(*kept))) == NULL) {
		close_here(fds, n);
		return;
	}
	disposer.kept = kept;
	disposer.capkept = cap;
	for (i = 0; i < n; i++) {
		fcntl(fds[i], F_SETFD, FD_CLOEXEC);
		kept[disposer.nkept++] = fds[i];
	}
}

/* Hands the disposer what was kept, as much of it as it takes. */
static void
hand_kept(void)
{
	size_t handed;

	if (disposer.nkept == 0)
		return;
	handed = hand_over(disposer.kept, disposer.nkept);
	disposer.nkept -= handed;
	memmove(disposer.kept, disposer.kept + handed,
	    disposer.nkept * sizeof(*disposer.kept));
}

/* Takes the lock on the disposer's state. */
static void
lock(void)
{
	pthread_mutex_lock(&disposer.lock);
}

/* Lets go of the lock on the disposer's state. */
static void
unlock(void)
{
	pthread_mutex_unlock(&disposer.lock);
}

/*
 * Sets up, once: the lock held across fork(2), so that a child never
 * finds it taken by a thread it does not have, and dispose_end at exit.
 */
static void
prepare(void)
{
	pthread_atfork(lock, unlock, unlock);
	atexit(dispose_end);
}

/*
 * Closes the n descriptors at fds without ever waiting in close(2): the
 * disposer holds copies of them when they are closed here.  Those that
 * find none are kept, and go with the next drop that finds one.  errno
 * is kept.
 */
void
dispose_fds(const int *fds, size_t n)
{
	size_t handed;
	int saved = errno;

	if (n == 0)
		return;
	pthread_once(&disposer_once, prepare);
	lock();
	handed = hand_over(fds, n);
	if (handed < n)
		keep(fds + handed, n - handed);
	else
		hand_kept();
	unlock();
	errno = saved;
}

/*
 * Starts this process's disposer now rather than at its first drop, for
 * a server whose descriptors should stay as they are once it serves.
 * 0, or -1 when none could start: drops then keep what they cannot hand.
 */
int
dispose_start(void)
{
	int ret = 0, saved = errno;

	pthread_once(&disposer_once, prepare);
	lock();
	if (!known())
		ret = start();
	unlock();
	errno = saved;
	return ret;
}

/* dispose_fds for one descriptor. */
void
dispose_fd(int fd)
{
	dispose_fds(&fd, 1);
}

/*
 * Readies this process for an exec, which would close here, and wait
 * on, what was kept for want of a disposer: hands it to one, then ends
 * the disposer (dispose_end).  0, or -1 with errno set when some could
 * not go: the caller must not exec, and its exit closes them without
 * waiting.
 */
int
dispose_before_exec(void)
{
	pthread_once(&disposer_once, prepare);
	lock();
	hand_kept();
	if (disposer.nkept > 0) {
		unlock();
		errno = EAGAIN;
		return -1;
	}
	if (known())
		stop();
	unlock();
	return 0;
}

/*
 * Ends this process's disposer, if it has one; the next drop starts
 * another.  Killed, it closes all it holds without lingering.  At exit,
 * so that no descriptor of it is left open when fdpass ends.
 */
void
dispose_end(void)
{
	int saved = errno;

	lock();
	if (known())
		stop();
	unlock();
	errno = saved;
}

/*
 * Disposes of a connected unix socket from a peer: after a shutdown for
 * reading, nothing more can be queued on it; a stream with nothing
 * queued carries no descriptors and is closed here, saving the send.
 * Anything else goes to dispose_fd.  errno is kept.
 */
void
dispose_connection(int sock)
{
	socklen_t len = sizeof(int);
	int saved = errno, type, queued;

	if (shutdown(sock, SHUT_RD) == 0 &&
	    getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
	    type == SOCK_STREAM && ioctl(sock, SIOCINQ, &queued) == 0 &&
	    queued == 0) {
		close(sock);
		errno = saved;
		return;
	}
	dispose_fd(sock);
	errno = saved;
}

/*
 * Lets go of a socket this process made and connected, as type: a
 * datagram one it never bound has no address (nor SO_PASSCRED, which
 * would bind it to one), so no peer can queue anything on it, and it is
 * closed here without starting a disposer.  Any other is
 * dispose_connection's.  errno is kept.
 */
void
dispose_own_socket(int sock, int type)
{
	int saved = errno;

	if (type == SOCK_DGRAM)
		close(sock);
	else
		dispose_connection(sock);
	errno = saved;
}

/*
 * dispose_fds for the descriptors of every SCM_RIGHTS item fdp_recv
 * found, as fdp_close_rights closes them.
 */
void
dispose_rights(const struct fdp_control *ctl)
{
	int fds[FDP_MAX_FDS_PER_MSG];
	size_t i, off, n;

	for (i = 0; i < ctl->nitems; i++) {
		if (ctl->items[i].level != SOL_SOCKET ||
		    ctl->items[i].type != SCM_RIGHTS)
			continue;
		for (off = 0; off < ctl->items[i].len; off += n * sizeof(int)) {
			n = (ctl->items[i].len - off) / sizeof(int);
			if (n > FDP_MAX_FDS_PER_MSG)
				n = FDP_MAX_FDS_PER_MSG;
			if (n == 0)
				break;
			memcpy(fds, (const char *)ctl->items[i].data + off,
			    n * sizeof(int));
			dispose_fds(fds, n);
		}
	}
}
