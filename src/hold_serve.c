/*
 * The holder's server.  The main loop waits for signals, connections,
 * sd_notify datagrams and the held descriptors' hang-ups; each connection
 * admitted gets a thread of its own that takes its one request by a
 * deadline, so that a client that stalls holds up nobody else.  The
 * table is holder.c's, behind its lock.
 */
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access.h"
#include "background.h"
#include "cleanup.h"
#include "deadline.h"
#include "dispose.h"
#include "endpoint.h"
#include "fds_free.h"
#include "hold.h"
#include "hold_manager.h"
#include "hold_notify.h"
#include "hold_restart.h"
#include "holder.h"
#include "log.h"
#include "request.h"
#include "signals.h"
#include "transfer.h"
#include "wire.h"

/*
 * How long new connections and datagrams wait, when descriptors ran
 * short, before the next try.
 */
#define SHORT_RETRY_MS		100

/* How many clients are served at once; more wait to be accepted. */
#define MAX_CLIENTS		64

/* How long a client has for its request, unless -t says otherwise. */
#define CLIENT_SECONDS		10

/* The stack of a client's thread: its receiver is on the heap. */
#define CLIENT_STACK		((size_t)256 * 1024)

/*
 * The most descriptor numbers the holder's threads open at once without
 * a promise (fds_free.c), which every promise leaves free: the directory
 * of a scan of the numbers, and a disposer started again (a socket pair,
 * pidfds); with room to spare.
 */
#define HOLD_UNPROMISED		8

/* What the main loop polls before the held descriptors. */
enum { POLL_SIGNALS, POLL_WAKE, POLL_LISTENER, POLL_NOTIFY, POLL_FIRST };

struct server {
	const struct hold_options	*opt;
	struct holder			 holder;
	const struct listener		*listener;
	int				 notify;	/* or -1 */
	const struct listener		*notify_file;	/* its file, or NULL */
	int				 signals;	/* a signalfd */
	int				 wake[2];	/* holder.changed is [1] */
	atomic_size_t			 clients;
	struct manager			 manager;
	char				*binary;	/* to exec on SIGHUP */
	int				 pid_fd;	/* locks the pid file */
	const char			*pid_path;
	int				 short_of_fds;	/* till the next poll */
	int				 said_short;	/* of the notify socket */
	int				 said_no_room;	/* for connections */
};

/* One connection, served by a thread of its own. */
struct client {
	struct server		*server;
	int			 conn;
	struct fdp_peer		 peer;
	struct deadline		 deadline;
	size_t			 reserved;	/* room its store has */
	char			 why[128];
	struct receiver		 receiver;
};

/*
 * Looks at a request or a store before its descriptors are taken: its
 * sender must pass the access rules, as the peer did at the accept, and
 * a store must bring named descriptors, no data, and fit --max-fds.
 */
static int
vet_request(struct receiver *r, const struct wire_header *h, void *arg)
{
	struct client *c = arg;
	struct server *s = c->server;
	size_t i;

	r->why = c->why;
	if (!r->sender_known || r->sender.pid == 0) {
		r->why = "the sender's credentials are unknown";
		return -1;
	}
	if (!access_allowed(&s->opt->sock.access, &r->sender)) {
		snprintf(c->why, sizeof(c->why), "sending process pid %ld, "
		    "uid %ld: not allowed", (long)r->sender.pid,
		    (long)r->sender.uid);
		return -1;
	}
	if (h == NULL) {
		r->why = "a plain message, not a store (fdpass send --name)";
		return -1;
	}
	if (h->flags & WIRE_REQUESTS)
		return 0;
	if (h->nfds == 0 || h->data_len > 0) {
		r->reason = h->nfds == 0 ? WIRE_OTHER_COUNT : WIRE_TOO_MUCH_DATA;
		r->why = h->nfds == 0 ? "a store of no descriptors" :
		    "a store with data: a holder keeps descriptors only";
		return -1;
	}
	/* Each name is a byte at least, and its NUL. */
	if (h->names_len < 2 * (uint64_t)h->nfds) {
		r->reason = WIRE_UNNAMED;
		r->why = "a descriptor without a name";
		return -1;
	}
	/* Asked again once the names came first: reserved already. */
	if (c->reserved == 0) {
		if (holder_reserve(&s->holder, h->nfds) == -1) {
			r->reason = WIRE_HOLD_FULL;
			r->why = "that many more would pass --max-fds";
			return -1;
		}
		c->reserved = h->nfds;
	}
	/*
	 * One descriptor's names are its name: it has one.  Of several, one
	 * may be empty: they come first, to be looked at before the
	 * descriptors cross (holder_store looks again at a sender's that
	 * cannot send them first).
	 */
	if (r->ahead == NULL)
		return h->nfds > 1;
	for (i = 0; i < h->nfds; i++)
		if (r->ahead[i] == NULL) {
			r->reason = WIRE_UNNAMED;
			r->why = "a descriptor without a name";
			return -1;
		}
	return 0;
}

/* Tells the client that asked how its store or removal went. */
static void
reply(const struct client *c, enum wire_reply what, int status)
{
	if (c->receiver.flags & WIRE_ACK)
		transfer_reply(c->conn, what, status);
}

/* Logs why the client's request was refused or failed. */
static void
report(const struct client *c, const char *what, const char *why)
{
	if (why != NULL)
		log_warnx("hold %s: %s from pid %ld: %s",
		    c->server->opt->socket_arg, what, (long)c->peer.pid, why);
	else
		log_warn("hold %s: %s from pid %ld", c->server->opt->socket_arg,
		    what, (long)c->peer.pid);
}

/* Stores what the client sent; the table owns it from then on. */
static void
store(struct client *c)
{
	struct receiver *r = &c->receiver;
	struct refusal no;
	size_t i;

	if (holder_store(&c->server->holder, r->fds, r->names, r->nfds, 1,
	    &no) == -1) {
		report(c, "store", no.why);
		reply(c, WIRE_DECLINED, no.reason);
		return;
	}
	/* Theirs now: the receiver releases none of them. */
	for (i = 0; i < r->nfds; i++)
		free(r->names[i]);
	r->nfds = 0;
	reply(c, WIRE_DELIVERED, 0);
}

/*
 * Sends the client copies of what the names it asked for hold, or of all
 * that is held for none; a name that holds nothing is left out, for the
 * client to name.
 */
static void
fetch(struct client *c, char *const *names, size_t n)
{
	struct outgoing out = { 0 };
	struct copies copies;

	/* Numbers promised to another client's read come back at once. */
	while (holder_copies(&c->server->holder, names, n, &copies) == -1)
		if (errno != EAGAIN || deadline_sleep(&c->deadline,
		    FDS_PROMISE_RETRY_MS) == -1) {
			report(c, "fetch", NULL);
			reply(c, WIRE_DECLINED, WIRE_TOO_MANY_FDS);
			return;
		}
	out.fds = copies.fds;
	out.nfds = copies.n;
	out.names = (const char *const *)copies.names;
	out.data_fd = -1;
	out.deadline = &c->deadline;
	if (transfer_send(c->conn, &out, NULL) == -1)
		report(c, "fetch", NULL);
	copies_release(&copies);
}

/* Takes out what the names hold, all or nothing, and says so. */
static void
remove_names(struct client *c, char *const *names, size_t n)
{
	const char *missing;

	if (n == 0) {
		report(c, "removal", "no names");
		reply(c, WIRE_DECLINED, WIRE_UNSAID);
	} else if (holder_remove(&c->server->holder, names, n, &missing) ==
	    -1) {
		report(c, "removal", errno == ENOENT ? "a name not held" :
		    NULL);
		reply(c, WIRE_DECLINED, errno == ENOENT ? WIRE_NOT_HELD :
		    WIRE_UNSAID);
	} else
		reply(c, WIRE_DELIVERED, 0);
}

/* Does what the request that r took asks. */
static void
answer(struct client *c)
{
	struct receiver *r = &c->receiver;
	char **names;
	size_t n;

	if (!(r->flags & WIRE_REQUESTS)) {
		store(c);
		return;
	}
	if (request_names(r, &names, &n) == -1) {
		report(c, "request", r->why);
		reply(c, WIRE_DECLINED, WIRE_UNSAID);
		return;
	}
	if (r->flags & WIRE_FETCH)
		fetch(c, names, n);
	else
		remove_names(c, names, n);
	free(names);
}

/* A client's thread: one request, by the deadline, then it goes. */
static void *
serve_client(void *arg)
{
	struct client *c = arg;
	struct receiver *r = &c->receiver;
	struct server *s = c->server;
	int n;

	if (receiver_init(r, c->conn, &c->deadline) == -1) {
		report(c, "connection", NULL);
		goto done;
	}
	r->vet = vet_request;
	r->vet_arg = c;
	if ((n = receiver_next(r, s->holder.max_fds)) == 1)
		answer(c);
	else if (n == -1) {
		if (r->why != NULL && (r->flags & WIRE_ACK))
			transfer_reply(c->conn, WIRE_DECLINED, r->reason);
		report(c, "request", r->why);
	}
	receiver_release(r);
	if (c->reserved > 0)
		holder_unreserve(&s->holder, c->reserved);
done:
	dispose_connection(c->conn);
	free(c);
	atomic_fetch_sub(&s->clients, 1);
	/* The main loop may be waiting for a free place. */
	(void)!write(s->wake[1], "", 1);
	return NULL;
}

/* Starts a thread for the connection conn, whose peer is *peer. */
static void
start_client(struct server *s, int conn, const struct fdp_peer *peer)
{
	pthread_attr_t attr;
	struct client *c;
	pthread_t t;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("hold %s: a client", s->opt->socket_arg);
		dispose_connection(conn);
		return;
	}
	c->server = s;
	c->conn = conn;
	c->peer = *peer;
	deadline_set_ms(&c->deadline, s->opt->sock.timeout_ms != 0 ?
	    s->opt->sock.timeout_ms : CLIENT_SECONDS * 1000LL);
	atomic_fetch_add(&s->clients, 1);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, CLIENT_STACK);
	if ((errno = pthread_create(&t, &attr, serve_client, c)) != 0) {
		log_warn("hold %s: a thread", s->opt->socket_arg);
		atomic_fetch_sub(&s->clients, 1);
		dispose_connection(conn);
		free(c);
	}
	pthread_attr_destroy(&attr);
}

/*
 * Accepts the connection waiting, if its peer may be served, with its
 * number promised first: connections stay, and would otherwise take one
 * by one the numbers a client's read counts on.
 */
static void
accept_client(struct server *s)
{
	const struct hold_options *o = s->opt;
	struct fdp_peer peer;
	int conn;

	if (fds_promise(1) == -1) {
		if (errno == EMFILE && !s->said_no_room) {
			log_warnx("hold %s: no room for a connection "
			    "(RLIMIT_NOFILE); connections wait", o->socket_arg);
			s->said_no_room = 1;
		}
		s->short_of_fds = 1;
		return;
	}
	s->said_no_room = 0;
	conn = endpoint_accept_waiting(s->listener, o->socket_arg,
	    &o->sock.access, &peer);
	fds_unpromise(1);
	if (conn != -1)
		start_client(s, conn, &peer);
	else if (errno != EACCES)
		s->short_of_fds = 1;	/* not a peer refused */
}

/*
 * Takes the next sd_notify datagram if there is a number for each
 * descriptor it may bring, besides those promised to the clients' reads:
 * the kernel would close here, maybe waiting, those it found none for.
 * Otherwise it waits, as new connections do.
 */
static void
take_notice(struct server *s)
{
	if (fds_promise(FDP_MAX_FDS_PER_MSG) == -1) {
		if (errno == EMFILE && !s->said_short) {
			log_warnx("hold %s: notify socket: no room for a "
			    "datagram's descriptors (RLIMIT_NOFILE); it waits",
			    s->opt->socket_arg);
			s->said_short = 1;
		}
		s->short_of_fds = 1;
		return;
	}
	s->said_short = 0;
	hold_notify_take(s->notify, &s->holder, s->opt);
	fds_unpromise(FDP_MAX_FDS_PER_MSG);
}

/*
 * Lays out in *pfd what the main loop polls: the held descriptors that
 * are watched for hang-ups after its own.  Returns how many.
 */
static size_t
poll_set(struct server *s, struct pollfd **pfd, size_t *cap)
{
	struct held *t = &s->holder.table;
	struct pollfd *p;
	size_t i, n = POLL_FIRST;

	pthread_mutex_lock(&s->holder.lock);
	if (*pfd == NULL || *cap < POLL_FIRST + t->n) {
		if ((p = reallocarray(*pfd, POLL_FIRST + t->n, sizeof(*p))) ==
		    NULL) {
			pthread_mutex_unlock(&s->holder.lock);
			err(1, "memory");
		}
		*pfd = p;
		*cap = POLL_FIRST + t->n;
	}
	for (i = 0; i < t->n; i++)
		if (t->entries[i].watched) {
			(*pfd)[n].fd = t->entries[i].fd;
			(*pfd)[n++].events = 0;
		}
	pthread_mutex_unlock(&s->holder.lock);
	p = *pfd;
	p[POLL_SIGNALS] = (struct pollfd){ s->signals, POLLIN, 0 };
	p[POLL_WAKE] = (struct pollfd){ s->wake[0], POLLIN, 0 };
	/* Short of descriptors, neither is taken till the next poll. */
	p[POLL_LISTENER] = (struct pollfd){ atomic_load(&s->clients) <
	    MAX_CLIENTS && !s->short_of_fds ? s->listener->fd : -1, POLLIN, 0 };
	p[POLL_NOTIFY] = (struct pollfd){ s->short_of_fds ? -1 : s->notify,
	    POLLIN, 0 };
	return n;
}

/* Empties the wake-up pipe. */
static void
drain(int fd)
{
	char buf[256];

	while (read(fd, buf, sizeof(buf)) > 0)
		continue;
}

/* Tells whether any of the n held descriptors polled hung up. */
static int
any_hung(const struct pollfd *pfd, size_t n)
{
	size_t i;

	for (i = POLL_FIRST; i < n; i++)
		if (pfd[i].revents != 0)
			return 1;
	return 0;
}

/*
 * The signal that ends the main loop: SIGTERM or SIGINT, to exit, or
 * SIGHUP, to start anew; 0 for none yet.
 */
static int
next_signal(int fd)
{
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return 0;
	return (int)si.ssi_signo;
}

/* Serves until SIGTERM or SIGINT, and returns the signal. */
static int
serve(struct server *s)
{
	struct pollfd *pfd = NULL;
	size_t cap = 0, n;
	int sig;

	for (;;) {
		/* Between polls, so that none is left to a poll's return. */
		holder_dispose_retired(&s->holder);
		n = poll_set(s, &pfd, &cap);
		if (poll(pfd, n, s->short_of_fds ? SHORT_RETRY_MS : -1) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "hold %s: poll", s->opt->socket_arg);
		}
		s->short_of_fds = 0;
		if ((pfd[POLL_SIGNALS].revents & POLLIN) &&
		    (sig = next_signal(s->signals)) != 0) {
			free(pfd);
			return sig;
		}
		if (pfd[POLL_WAKE].revents & POLLIN)
			drain(s->wake[0]);
		if (pfd[POLL_LISTENER].revents & POLLIN)
			accept_client(s);
		if (pfd[POLL_NOTIFY].revents & POLLIN)
			take_notice(s);
		if (any_hung(pfd, n))
			holder_drop_hung(&s->holder);
	}
}

/*
 * Lets the holder keep --max-fds descriptors, and copies of them all for
 * the clients it serves at once, and room for a message's descriptors
 * (intake.c): the soft RLIMIT_NOFILE goes up to the hard one, which it
 * must not need to pass.
 */
static void
raise_fd_limit(size_t max_fds)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		err(1, "RLIMIT_NOFILE");
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		err(1, "RLIMIT_NOFILE");
	if (rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < 2 * max_fds + 64 + FDP_MAX_FDS_PER_MSG)
		errx(1, "--max-fds %zu: the descriptor limit of %llu is too "
		    "low for it and a copy of each (see ulimit -Hn)", max_fds,
		    (unsigned long long)rl.rlim_cur);
}

/* The signals that end or restart the holder, in *set. */
static const sigset_t *
stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	return set;
}

/*
 * Takes the signals that end or restart the holder on a signalfd: blocked
 * before any thread starts, so that every thread has them blocked and the
 * main loop alone sees them.  One ignored at start stays ignored.
 */
static int
signals_to_fd(void)
{
	sigset_t stop;
	int fd;

	if (signals_mask(SIG_BLOCK, stop_signals(&stop)) == -1 ||
	    (fd = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK)) == -1)
		err(1, "signals");
	return fd;
}

/*
 * Waits, accepting nobody, until the clients being served are done, as
 * their deadline makes them soon; SIGTERM or SIGINT meanwhile exits.
 */
static void
wait_for_clients(struct server *s)
{
	struct pollfd p[2];
	int sig;

	while (atomic_load(&s->clients) > 0) {
		p[0] = (struct pollfd){ s->signals, POLLIN, 0 };
		p[1] = (struct pollfd){ s->wake[0], POLLIN, 0 };
		if (poll(p, 2, -1) == -1 && errno != EINTR)
			err(1, "hold %s: poll", s->opt->socket_arg);
		if ((p[0].revents & POLLIN) &&
		    (sig = next_signal(s->signals)) != 0 && sig != SIGHUP)
			exit(0);
		if (p[1].revents & POLLIN)
			drain(s->wake[0]);
	}
}

/*
 * On SIGHUP: once no client is served, execs the fdpass at the path it
 * was started from, handing it all it has (hold_restart.c).  The signals
 * go back as found, but for those the holder takes, which stay blocked
 * through the exec: one sent meanwhile then waits for the new holder's
 * signalfd, and does not kill it half started.  Should the exec fail, it
 * serves on as before.
 */
static void
start_anew(struct server *s)
{
	struct hold_state st;
	sigset_t stop;

	wait_for_clients(s);
	/* Those left would close in the exec, which their linger stalls. */
	holder_dispose_retired(&s->holder);
	hold_state_init(&st);
	st.listener.fd = s->listener->fd;
	st.listener.path = (char *)s->listener->path;
	st.listener.dev = s->listener->dev;
	st.listener.ino = s->listener->ino;
	st.notify.fd = s->notify;
	if (s->notify_file != NULL) {
		st.notify.path = (char *)s->notify_file->path;
		st.notify.dev = s->notify_file->dev;
		st.notify.ino = s->notify_file->ino;
	}
	st.pid_fd = s->pid_fd;
	st.pid_path = (char *)s->pid_path;
	st.table = s->holder.table;
	if (restart_ready(s->binary, s->opt, &st) == -1)
		return;
	cleanup_before_exec();
	if (signals_mask(SIG_BLOCK, stop_signals(&stop)) == -1)
		err(1, "signals");
	restart_exec(s->binary, s->opt, &st);
	if (signals_set(SIGPIPE, SIG_IGN) == -1)
		err(1, "signals");
}

/*
 * Takes over from the holder that exec'd this one, if one did: its
 * listener, notify socket, pid file and entries.  Returns whether it did.
 */
static int
take_over(struct server *s)
{
	static struct listener notify_file;
	struct hold_state st;

	if ((s->listener = restart_take(s->opt, &st)) == NULL)
		return 0;
	s->notify = st.notify.fd;
	/* Its file goes at exit (restart_take), and with the next restart. */
	notify_file.fd = st.notify.fd;
	notify_file.path = st.notify.path;
	notify_file.dev = st.notify.dev;
	notify_file.ino = st.notify.ino;
	st.notify.path = NULL;
	s->notify_file = &notify_file;
	s->pid_fd = st.pid_fd;
	s->pid_path = st.pid_path;
	st.pid_path = NULL;
	s->holder.table = st.table;
	memset(&st.table, 0, sizeof(st.table));
	hold_state_free(&st);
	if (s->holder.table.n > s->holder.max_fds)
		log_warnx("hold %s: restart: %zu held, more than --max-fds %zu",
		    s->opt->socket_arg, s->holder.table.n, s->holder.max_fds);
	return 1;
}

/*
 * Listens on SOCKET and holds what its clients store until SIGTERM or
 * SIGINT; then exits 0, its socket file removed (cleanup.c) and what it
 * held closed with it.  SIGHUP execs the holder anew (start_anew), which
 * takes over here (take_over) instead of listening and announcing.
 */
void
hold_serve(const struct hold_options *o)
{
	static struct server s;
	int restarted, sig, parent;

	s.opt = o;
	s.notify = -1;
	s.holder.max_fds = o->max_fds;
	/* First, so that no descriptor opened lands where one was handed. */
	restarted = take_over(&s);
	if (!restarted)
		manager_take_listen_fds(&s.holder.table, o->max_fds,
		    o->socket_arg);
	s.holder.mirror = manager_mirror(&s.manager, o->socket_arg,
	    o->notify_socket);
	s.binary = restart_binary();
	if ((errno = pthread_mutex_init(&s.holder.lock, NULL)) != 0 ||
	    pipe2(s.wake, O_CLOEXEC | O_NONBLOCK) == -1)
		err(1, "hold");
	s.holder.changed = s.wake[1];
	raise_fd_limit(o->max_fds);
	if (!restarted) {
		s.listener = endpoint_listen(o->socket_arg, SOCK_STREAM,
		    o->sock.mode);
		if (o->notify_socket != NULL) {
			s.notify_file = hold_notify_open(o);
			s.notify = s.notify_file->fd;
		}
	}
	/* A client that leaves while answered is no reason to die. */
	if (signals_set(SIGPIPE, SIG_IGN) == -1)
		err(1, "signals");
	s.signals = signals_to_fd();
	/*
	 * The disposer starts before the holder says it is ready, so that
	 * its descriptors stay as they are from then on; in the process
	 * that serves, after -b's fork.
	 */
	parent = restarted ? -1 : announce_fork(&o->announce);
	dispose_start();
	fds_promise_leave(HOLD_UNPROMISED);
	if (!restarted) {
		s.pid_fd = announce_ready(&o->announce, parent);
		s.pid_path = o->announce.pid_file;
	}
	for (;;) {
		sig = serve(&s);
		if (sig != SIGHUP)
			exit(0);
		start_anew(&s);
	}
}
