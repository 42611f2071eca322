/*
 * The holder's exec of itself, both ends of it.  The old one has waited
 * for its clients and stopped accepting: new connections wait in the
 * listen backlog for the new one.  It passes every descriptor it owns
 * open, at the same numbers, and the state that says what each is in a
 * memfd named by FDPASS_HOLD_STATE; the new one checks it all, takes the
 * socket files and the pid file over for removal at exit, and goes on.
 * The pid stays, so the pid file stays true, and neither --background
 * nor --ready-fd is announced twice.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "dispose.h"
#include "handoff.h"
#include "hold_restart.h"
#include "log.h"

extern char **environ;

/* Tells whether this holder was exec'd by another, to take over from it. */
int
restarting(void)
{
	return getenv(HOLD_STATE_VAR) != NULL;
}

/* The file name made absolute; NULL on failure. */
static char *
absolute(const char *name)
{
	char cwd[PATH_MAX], *path;

	if (name[0] == '/')
		return strdup(name);
	if (getcwd(cwd, sizeof(cwd)) == NULL ||
	    asprintf(&path, "%s/%s", cwd, name) == -1)
		return NULL;
	return path;
}

/*
 * The path to exec on SIGHUP, found at start: the one fdpass was run as
 * (argv[0], looked up in PATH as the shell did if it holds no slash, made
 * absolute, keeping the symbolic links in it, so that an upgrade that
 * moves a link takes effect) while it names the running binary; else
 * where /proc/self/exe leads.  Never /proc/self/exe itself, which stays
 * the old binary.  NULL when neither is known.
 */
char *
restart_binary(void)
{
	struct stat self, named;
	char found[PATH_MAX], *path = NULL;

	if (stat("/proc/self/exe", &self) == -1)
		return NULL;
	if (handoff_find_command(program_invocation_name, found) == 0)
		path = absolute(found);
	if (path != NULL && stat(path, &named) == 0 &&
	    named.st_dev == self.st_dev && named.st_ino == self.st_ino)
		return path;
	free(path);
	return realpath("/proc/self/exe", NULL);
}

/* The state's number in FDPASS_HOLD_STATE; exits 1 if it is not one. */
static int
state_fd(const char *socket_arg)
{
	const char *text = getenv(HOLD_STATE_VAR), *errstr;
	long long fd;

	fd = strtonum(text, 3, INT_MAX, &errstr);
	if (errstr != NULL)
		errx(1, "hold %s: restart: %s is '%s', not a descriptor",
		    socket_arg, HOLD_STATE_VAR, text);
	return (int)fd;
}

/*
 * Tells whether the socket file at path is the one of dev and ino: only
 * such a file is removed at exit.
 */
static int
same_socket_file(const char *path, dev_t dev, ino_t ino)
{
	struct stat sb;

	return lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode) &&
	    sb.st_dev == dev && sb.st_ino == ino;
}

/*
 * Tells whether sock, the state's, names the socket file the command
 * line's text would make (path NULL: an abstract one, whose file is none)
 * and, if it has one, is that file.  text may be NULL: no such socket.
 */
static int
socket_matches(const struct state_socket *sock, const char *text)
{
	struct address a;

	if (sock->fd == -1)
		return text == NULL;
	if (text == NULL || address_parse(text, &a) == -1)
		return 0;
	if (sock->path == NULL)
		return a.sun.sun_path[0] == '\0';
	return a.sun.sun_path[0] != '\0' &&
	    strcmp(a.sun.sun_path, sock->path) == 0 &&
	    same_socket_file(sock->path, sock->dev, sock->ino);
}

/*
 * Tells whether the pid file open on fd (for writing, and locked) is the
 * file at path, and names this process.
 */
static int
pid_file_mine(int fd, const char *path)
{
	struct stat open_one, named;
	char text[24], want[24];
	ssize_t n;
	int rd;

	if ((rd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return 0;
	n = read(rd, text, sizeof(text) - 1);
	if (fstat(rd, &named) == -1)
		n = -1;
	close(rd);
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	return n > 0 && (size_t)n == strlen(want) &&
	    memcmp(text, want, n) == 0 && fstat(fd, &open_one) == 0 &&
	    open_one.st_dev == named.st_dev && open_one.st_ino == named.st_ino;
}

/*
 * Why the files st names are not this holder's own, or NULL when they
 * are: its SOCKET, --notify-socket and --pid-file, as the holder that
 * made them left them.  The variable may have been set by anybody: a
 * state must not make the holder remove at exit a file it never made.
 */
static const char *
files_refusal(const struct hold_options *o, const struct hold_state *st)
{
	if (!socket_matches(&st->listener, o->socket_arg))
		return "its socket is not SOCKET's";
	if (!socket_matches(&st->notify, o->notify_socket))
		return "its notify socket is not --notify-socket's";
	if ((st->pid_fd == -1) != (o->announce.pid_file == NULL) ||
	    (st->pid_fd != -1 && (strcmp(st->pid_path,
	    o->announce.pid_file) != 0 ||
	    !pid_file_mine(st->pid_fd, st->pid_path))))
		return "its pid file is not --pid-file's, naming this process";
	return NULL;
}

/*
 * Records the files of st's sockets and its pid file for removal at exit,
 * as the holder that made them would have; returns the listener, which
 * names its file as st does.
 */
static const struct listener *
adopt_files(struct hold_state *st)
{
	static char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	static struct listener l;
	struct stat sb;

	l.fd = st->listener.fd;
	/* As endpoint_listen's: where cleanup.c may find it at exit. */
	if (st->listener.path != NULL) {
		strlcpy(path, st->listener.path, sizeof(path));
		l.path = path;
	}
	l.dev = st->listener.dev;
	l.ino = st->listener.ino;
	cleanup_listener(&l);
	if (st->notify.path != NULL)
		cleanup_made(st->notify.path, st->notify.dev, st->notify.ino);
	if (st->pid_fd != -1 && fstat(st->pid_fd, &sb) == 0)
		cleanup_pid_file(st->pid_path, sb.st_dev, sb.st_ino);
	return &l;
}

/*
 * Takes over from the holder that exec'd this one: reads the state it
 * left into *st and the descriptors it names, all close-on-exec again,
 * and unsets FDPASS_HOLD_STATE.  Returns the listener, or NULL when no
 * holder left one.  Exits 1 on a state that is not sound: nothing in it
 * is trusted past what is checked.
 */
const struct listener *
restart_take(const struct hold_options *o, struct hold_state *st)
{
	const char *socket_arg = o->socket_arg, *why;
	int fd;

	if (!restarting())
		return NULL;
	fd = state_fd(socket_arg);
	if (hold_state_read(fd, st, &why) == -1) {
		if (why != NULL)
			errx(1, "hold %s: restart: %s %d: %s", socket_arg,
			    HOLD_STATE_VAR, fd, why);
		err(1, "hold %s: restart: %s %d", socket_arg, HOLD_STATE_VAR,
		    fd);
	}
	if ((why = files_refusal(o, st)) != NULL)
		errx(1, "hold %s: restart: %s %d: %s", socket_arg,
		    HOLD_STATE_VAR, fd, why);
	if (hold_state_fds_cloexec(st, 1) == -1)
		err(1, "hold %s: restart: close-on-exec", socket_arg);
	close(fd);
	unsetenv(HOLD_STATE_VAR);
	return adopt_files(st);
}

/*
 * The environment as found, and FDPASS_HOLD_STATE naming fd; NULL on no
 * memory.  The variable is this process's only addition.
 */
static char **
environment_with(int fd)
{
	static char var[sizeof(HOLD_STATE_VAR) + 16];
	size_t n = 0;
	char **env;

	while (environ[n] != NULL)
		n++;
	if ((env = calloc(n + 2, sizeof(*env))) == NULL)
		return NULL;
	memcpy(env, environ, n * sizeof(*env));
	snprintf(var, sizeof(var), "%s=%d", HOLD_STATE_VAR, fd);
	env[n] = var;
	return env;
}

/* argv with binary before it, for execve; NULL on no memory. */
static char **
arguments(const char *binary, char *const *argv)
{
	size_t n = 0;
	char **args;

	while (argv[n] != NULL)
		n++;
	if ((args = calloc(n + 2, sizeof(*args))) == NULL)
		return NULL;
	args[0] = (char *)binary;
	memcpy(args + 1, argv, n * sizeof(*args));
	return args;
}

/*
 * Tells whether a restart can go ahead, saying why not when it cannot,
 * before anything is changed for the exec.  A file removed or replaced
 * since the start (rm of the socket file, of the pid file) would make
 * the new holder refuse the state and exit, losing every entry: better
 * to serve on.  So would descriptors still waiting for a disposer
 * (dispose.c), which would make the exec wait.  0, or -1.
 */
int
restart_ready(const char *binary, const struct hold_options *o,
    const struct hold_state *st)
{
	const char *why;

	if ((why = files_refusal(o, st)) != NULL) {
		log_warnx("hold %s: restart: not done, the new holder would "
		    "refuse the state: %s", o->socket_arg, why);
		return -1;
	}
	if (binary == NULL) {
		log_warnx("hold %s: restart: the path of fdpass is not known",
		    o->socket_arg);
		return -1;
	}
	if (dispose_before_exec() == -1) {
		log_warn("hold %s: restart: no process to close what refused "
		    "clients sent", o->socket_arg);
		return -1;
	}
	return 0;
}

/*
 * Execs binary with "hold" and the holder's arguments in o, handing it
 * st: every descriptor in it passes the exec, and the state goes in a
 * memfd (hold_state.c).  The caller has found it ready (restart_ready)
 * and put the signals back as found.  Returns only on failure, having
 * said why; everything is as it was then, the descriptors close-on-exec
 * again.
 */
void
restart_exec(const char *binary, const struct hold_options *o,
    const struct hold_state *st)
{
	const char *socket_arg = o->socket_arg;
	char **args = NULL, **env = NULL;
	int fd;

	if ((fd = hold_state_write(st)) == -1) {
		log_warn("hold %s: restart: the state", socket_arg);
		return;
	}
	if ((args = arguments(binary, o->argv)) == NULL ||
	    (env = environment_with(fd)) == NULL ||
	    hold_state_fds_cloexec(st, 0) == -1 ||
	    fcntl(fd, F_SETFD, 0) == -1)
		log_warn("hold %s: restart", socket_arg);
	else {
		execve(binary, args, env);
		log_warn("hold %s: restart: %s", socket_arg, binary);
	}
	hold_state_fds_cloexec(st, 1);
	close(fd);
	free(args);
	free(env);
}
