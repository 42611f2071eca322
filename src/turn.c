/*
 * One sender's turn in recv.  turn_receive takes its transfers, each
 * checked by vet_transfer before its descriptors are taken, and holds or
 * prints them; turn_end then hands them to COMMAND, or puts out what was
 * printed, or refuses them, and releases the descriptors: the one place
 * they are.  Nothing here exits on what a sender did; it says so in the
 * enum turn it returns, and whoever serves the sender exits with what
 * turn_end makes of it.
 */
#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "children.h"
#include "commands.h"
#include "fds_free.h"
#include "forward.h"
#include "log.h"
#include "render.h"
#include "signals.h"
#include "turn.h"

/* Records why the transfer is refused; returns TURN_REFUSED. */
static enum turn __attribute__((format(printf, 2, 3)))
refuse(struct recv_run *run, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	/* clang 14's analyzer misses the va_start above. */
	if (vasprintf(&run->why, fmt, ap) == -1)	/* NOLINT(clang-analyzer-valist.Uninitialized) */
		err(1, "memory");
	va_end(ap);
	return TURN_REFUSED;
}

/* Records that the turn failed for why; returns TURN_FAILED. */
enum turn
turn_fail(struct recv_run *run, const char *why)
{
	if ((run->why = strdup(why)) == NULL)
		err(1, "memory");
	return TURN_FAILED;
}

/* A failed receive: refused for a bad message, else failed with errno. */
static enum turn
receive_failed(struct recv_run *run)
{
	if (run->receiver.why != NULL)
		return refuse(run, "%s", run->receiver.why);
	run->why = NULL;
	run->errnum = errno;
	return TURN_FAILED;
}

/*
 * What the data of a transfer (the last, or one before it) is held in
 * memory for: COMMAND's environment, a --json line, a record that
 * --keep-listening puts out in one piece, or one put out once the last of
 * --count descriptors came.  NULL: it streams to standard output.
 */
static const char *
data_held_for(const struct recv_run *run, int last)
{
	const struct recv_options *o = run->opt;

	if (o->handoff.command != NULL)
		return "COMMAND";
	if (o->json)
		return "--json";
	if (o->keep)
		return "--keep-listening";
	return last ? NULL : "--count";
}

/* How many more data bytes the turn may hold in memory. */
static size_t
data_room(const struct recv_run *run)
{
	return DATA_HELD_MAX - run->held.len - run->in_record;
}

/* Refuses a transfer whose data is more than the turn may hold. */
static enum turn
too_much_data(struct recv_run *run, const char *held_for)
{
	return refuse(run, "more than %d bytes of data for %s", DATA_HELD_MAX,
	    held_for);
}

/*
 * Who sent the current transfer, as checked: the process the kernel named
 * with it, or, where it named none (a message queued before recv asked,
 * checked as the peer), the peer; NULL when neither is known.  The peer
 * when it is the sender, for its pidfd's inode.
 */
static const struct fdp_peer *
sender(const struct recv_run *run)
{
	const struct fdp_peer *s = &run->receiver.sender;

	if (!run->receiver.sender_known || (run->have_peer &&
	    s->pid == run->peer.pid && s->uid == run->peer.uid &&
	    s->gid == run->peer.gid))
		return run->have_peer ? &run->peer : NULL;
	return s;
}

/* Adds the current transfer's data to what is held, up to its limit. */
static enum turn
hold_data(struct recv_run *run)
{
	struct data_held *held = &run->held;
	ssize_t n;

	while ((n = receiver_data(&run->receiver, held->bytes + held->len,
	    sizeof(held->bytes) - held->len)) > 0) {
		held->len += n;
		if (held->len + run->in_record > DATA_HELD_MAX)
			return too_much_data(run, data_held_for(run, 1));
	}
	if (n == -1)
		return receive_failed(run);
	return TURN_TAKEN;
}

/*
 * Prints the current transfer's data where the record goes, as "data"
 * lines, then the "end" line, which a transfer cut short does not get.
 * What goes to a record held in memory counts against what the turn may
 * hold; last says whether the transfer is the last.
 */
static enum turn
print_data(struct recv_run *run, int last)
{
	static char buf[65536];
	struct data_lines lines = { 0 };
	const char *held_for = data_held_for(run, last);
	FILE *out = run->record.out;
	ssize_t n;

	while ((n = receiver_data(&run->receiver, buf, sizeof(buf))) > 0) {
		if (held_for != NULL && (size_t)n > data_room(run))
			return too_much_data(run, held_for);
		if (held_for != NULL)
			run->in_record += n;
		render_data(out, &lines, buf, n);
		/* Out as it comes; no use reading on for a reader gone. */
		if (record_flush(&run->record) == -1)
			return TURN_UNPRINTED;
	}
	render_data_done(out, &lines);
	if (n == -1)
		return receive_failed(run);
	render_end(out);
	return TURN_TAKEN;
}

/*
 * Holds the data of the transfer whose descriptors start at first, for
 * COMMAND, or prints the transfer; last says whether it is the last.
 */
static enum turn
take_transfer(struct recv_run *run, size_t first, int last)
{
	const struct recv_options *o = run->opt;
	enum turn t;

	if (o->handoff.command != NULL)
		return hold_data(run);
	if (o->json) {
		if ((t = hold_data(run)) != TURN_TAKEN)
			return t;
		render_json(run->record.out, &run->receiver, first,
		    run->held.bytes, run->held.len, sender(run));
		/* A line for stdout, held until the last transfer came. */
		run->in_record += run->held.len;
		run->held.len = 0;
		return TURN_TAKEN;
	}
	render_fds(run->record.out, &run->receiver, first);
	/* The last transfer's data may stream once it is accepted. */
	return last ? TURN_TAKEN : print_data(run, 0);
}

/* Tells whether --at places a descriptor by its name. */
static int
placed_by_name(const struct handoff *h)
{
	size_t i;

	for (i = 0; i < h->nat; i++)
		if (h->at[i].name != NULL)
			return 1;
	return 0;
}

/*
 * Checks, before the descriptors come, that COMMAND can take what the
 * header h announces as hand_over will place it: at least one, and where
 * --at, --inetd or --ucspi want them.  When --at places by name and the
 * names have not come ahead (r->ahead), returns 1 for the receiver to ask
 * for them first; a sender of 1.0.0 cannot send them first, and has them
 * checked at the hand-over.
 */
static int
vet_placement(struct receiver *r, const struct wire_header *h,
    const struct handoff *handoff)
{
	static char why[WIRE_NAME_MAX + 64];
	size_t n = r->first + h->nfds, np;
	struct placement *plan;
	const char *refusal;
	char **names;

	if (n == 0) {
		r->reason = WIRE_OTHER_COUNT;
		snprintf(why, sizeof(why), "no descriptors arrived for %s",
		    handoff->command[0]);
		r->why = why;
		return -1;
	}
	if (h->names_len > 0 && r->ahead == NULL && placed_by_name(handoff))
		return 1;
	/* Those that came before this transfer are in r->names. */
	if ((names = calloc(n, sizeof(*names))) == NULL)
		err(1, "memory");
	if (r->first > 0)
		memcpy(names, r->names, r->first * sizeof(*names));
	if (r->ahead != NULL)
		memcpy(names + r->first, r->ahead, h->nfds * sizeof(*names));
	plan = handoff_plan(handoff, names, n, &np, &refusal);
	free(names);
	if (plan == NULL) {
		r->reason = WIRE_UNPLACED;
		snprintf(why, sizeof(why), "%s", refusal);
		r->why = why;
		return -1;
	}
	free(plan);
	return 0;
}

/*
 * Looks at a framed header before any of its descriptors are taken: the
 * process that sent it must pass the access rules, and what it announces
 * must fit, and be what COMMAND takes.  What does not is declined with
 * the reason, which a sender that sent its header alone learns before
 * anything crossed; 1 asks for its names first (vet_placement).  With h NULL,
 * a plain message: its sender, where the kernel names it, must pass the
 * rules; one queued on a connection before recv asked for credentials
 * (nc -F on --stdin), and so with none, was checked as the peer when
 * accepted.  A datagram's sender is always named, and checked: a
 * datagram socket has no peer.  arg is the run.
 */
static int
vet_transfer(struct receiver *r, const struct wire_header *h, void *arg)
{
	static char why[128];
	const struct recv_run *run = arg;
	const struct recv_options *o = run->opt;
	const char *refusal, *held_for;

	r->why = why;
	if (h == NULL && r->type != SOCK_DGRAM && !r->sender_known)
		return 0;
	if (!r->sender_known || r->sender.pid == 0) {
		r->why = "the sender's credentials are unknown";
		return -1;
	}
	if ((refusal = access_refusal(&o->sock.access, &r->sender)) != NULL) {
		snprintf(why, sizeof(why), "sending process pid %ld: %s",
		    (long)r->sender.pid, refusal);
		return -1;
	}
	if (h == NULL)
		return 0;
	if (h->flags & WIRE_REQUESTS) {
		r->reason = WIRE_NOT_HOLDER;
		r->why = "a request for a holder (fdpass hold)";
		return -1;
	}
	if (o->count > 0 && r->first + h->nfds != o->count) {
		r->reason = WIRE_OTHER_COUNT;
		if (r->first + h->nfds > o->count)
			r->why = "more descriptors than expected";
		else
			snprintf(why, sizeof(why), "expected %zu descriptors, "
			    "got %zu", o->count, r->first + h->nfds);
		return -1;
	}
	/* And a message's worth besides, as intake_recv needs. */
	if (fds_free() < (size_t)h->nfds + FDP_MAX_FDS_PER_MSG) {
		r->reason = WIRE_TOO_MANY_FDS;
		snprintf(why, sizeof(why), "no room for %u more descriptors "
		    "(RLIMIT_NOFILE)", h->nfds);
		return -1;
	}
	/* An fdpass sender's transfer is the last. */
	if ((held_for = data_held_for(run, 1)) != NULL &&
	    h->data_len > data_room(run)) {
		r->reason = WIRE_TOO_MUCH_DATA;
		snprintf(why, sizeof(why), "more than %d bytes of data for %s",
		    DATA_HELD_MAX, held_for);
		return -1;
	}
	/*
	 * Nothing under the names asked for: not_fetched names them; and an
	 * empty holder's all is nothing, which COMMAND starts with, as a
	 * service whose fd store is empty does.
	 */
	if ((o->nfetch > 0 || o->fetch_all) && r->first + h->nfds == 0)
		return 0;
	if (o->handoff.command != NULL)
		return vet_placement(r, h, &o->handoff);
	return 0;
}

/* Tells whether a and b are the same process, as the kernel named them. */
static int
same_process(const struct fdp_peer *a, const struct fdp_peer *b)
{
	return a->pid == b->pid && a->uid == b->uid && a->gid == b->gid;
}

/*
 * The first name --fetch asked for that the holder sent nothing under,
 * or NULL.
 */
static const char *
not_fetched(const struct recv_run *run)
{
	const struct receiver *r = &run->receiver;
	size_t i, j;

	for (i = 0; i < run->opt->nfetch; i++) {
		for (j = 0; j < r->nfds; j++)
			if (r->names[j] != NULL &&
			    strcmp(r->names[j], run->opt->fetch[i]) == 0)
				break;
		if (j == r->nfds)
			return run->opt->fetch[i];
	}
	return NULL;
}

/*
 * Receives on sock: one transfer, or with --count transfers until that
 * many descriptors have come, printing each unless there is a COMMAND.
 * From here until turn_end, the descriptors that came are the receiver's.
 */
enum turn
turn_receive(struct recv_run *run, int sock, const struct deadline *d)
{
	const struct recv_options *o = run->opt;
	struct receiver *r = &run->receiver;
	size_t limit = o->count > 0 ? o->count : SIZE_MAX, shown;
	const struct fdp_peer *who;
	struct fdp_peer first = { 0 };
	const char *missing;
	int n, transfers = 0, last;
	enum turn t;

	/* A COMMAND gets the descriptors; nothing is printed to hold. */
	if (run->record.out == stdout && o->handoff.command == NULL)
		record_hold(&run->record);
	/*
	 * A reader of what is printed that has gone is a failure to tell the
	 * sender of, not a death that leaves it guessing.
	 */
	if (o->handoff.command == NULL && signals_set(SIGPIPE, SIG_IGN) == -1)
		return turn_fail(run, "SIGPIPE cannot be ignored");
	if (receiver_init(r, sock, d) == -1)
		return receive_failed(run);
	r->vet = vet_transfer;
	r->vet_arg = run;
	for (;;) {
		shown = r->nfds;
		if ((n = receiver_next(r, limit)) == -1)
			return receive_failed(run);
		if (n == 0) {
			if (transfers == 0)
				return TURN_EMPTY;
			return refuse(run, "connection closed after %zu of %zu "
			    "descriptors", shown, o->count);
		}
		transfers++;
		/*
		 * The first message's sender, as checked (the peer for one
		 * queued before recv asked who sends), is the sender; the
		 * rest must come from it.
		 */
		if ((who = sender(run)) != NULL && transfers == 1)
			first = *who;
		else if (who != NULL && !same_process(&first, who))
			return refuse(run, "the descriptors came from more "
			    "than one process");
		/* Before anything is printed or run. */
		if ((missing = not_fetched(run)) != NULL) {
			if (asprintf(&run->why, "nothing held under %s",
			    missing) == -1)
				err(1, "memory");
			return TURN_FAILED;
		}
		last = o->count == 0 || r->nfds == o->count;
		if ((t = take_transfer(run, shown, last)) != TURN_TAKEN)
			return t;
		if (last) {
			if (receiver_plain_end(r) == -1)
				return receive_failed(run);
			if (record_accepted(&run->record) == -1)
				return TURN_UNPRINTED;
			if (o->handoff.command == NULL && !o->json)
				return print_data(run, 1);
			return TURN_TAKEN;
		}
		/*
		 * An fdpass sender sends all it has in one transfer; under
		 * --keep-listening so does any datagram sender, or the next
		 * datagram, anybody's, would have to wait for the rest.
		 */
		if (r->framed || (o->keep && r->type == SOCK_DGRAM))
			return refuse(run, "expected %zu descriptors, got %zu",
			    o->count, r->nfds);
	}
}

/* The held data for FDPASS_DATA, or NULL; it may not hold a NUL byte. */
static enum turn
data_for_env(struct recv_run *run, const char **data)
{
	struct data_held *held = &run->held;

	*data = NULL;
	if (held->len == 0)
		return TURN_TAKEN;
	if (memchr(held->bytes, '\0', held->len) != NULL)
		return refuse(run, "data for COMMAND contains a NUL byte");
	held->bytes[held->len] = '\0';
	*data = held->bytes;
	return TURN_TAKEN;
}

/*
 * Tells whether more came on the connection the transfer came on.  The
 * exec would do the last close of whatever descriptors that brought, and
 * wait on it; so first no more may come (the sender's writes fail from
 * here on).  A --dgram socket is the listener's, closed already, and
 * standard input is the user's: neither is shut.
 */
static int
more_came(struct recv_run *run)
{
	struct receiver *r = &run->receiver;

	if (r->type == SOCK_DGRAM || run->opt->use_stdin)
		return 0;
	return receiver_shut(r);
}

/*
 * Hands the descriptors to COMMAND.  Usually recv becomes COMMAND, which
 * takes them over; when the sender waits for COMMAND's status, recv runs
 * it as a child, which gets copies, and turn_end waits for it.
 */
static enum turn
hand_over(struct recv_run *run)
{
	struct receiver *r = &run->receiver;
	struct handoff h = run->opt->handoff;
	struct placement *plan;
	const char *why;
	size_t np;
	int reply = r->flags & WIRE_ACK ? r->sock : -1;
	enum turn t;

	if (r->nfds == 0 && !run->opt->fetch_all)
		return refuse(run, "no descriptors arrived for %s",
		    h.command[0]);
	h.peer = sender(run);
	if ((t = data_for_env(run, &h.data)) != TURN_TAKEN)
		return t;
	if ((plan = handoff_plan(&h, r->names, r->nfds, &np, &why)) == NULL)
		return refuse(run, "%s", why);
	if (!(r->flags & WIRE_WAIT)) {
		if (more_came(run)) {
			free(plan);
			return refuse(run, "more came after the transfer");
		}
		handoff_exec(&h, r->fds, r->names, r->nfds, plan, np, reply);
	}
	if (children_init(1, 0) == -1)
		err(1, "signals");
	if ((run->child = children_fork()) == -1)
		err(1, "fork");
	if (run->child == 0)
		handoff_exec(&h, r->fds, r->names, r->nfds, plan, np, -1);
	free(plan);
	return TURN_CHILD;
}

/*
 * Waits for COMMAND, run as a child, telling the sender that it started
 * and how it exited.  Returns its exit status, which recv exits with:
 * SIGTERM, SIGINT and SIGHUP meanwhile go on to it, those recv gets and
 * those the sender forwards.
 */
static int
wait_command(struct recv_run *run)
{
	const struct receiver *r = &run->receiver;
	int reply = r->flags & WIRE_ACK ? r->sock : -1, status;
	int forwarding = reply;

	transfer_reply(reply, WIRE_DELIVERED, 0);
	while (forwarding != -1 && children_watch(run->child, forwarding) == 1)
		if (forward_take(forwarding, run->child) == -1)
			forwarding = -1;
	if ((status = children_wait(run->child)) == -1)
		err(1, "waitpid");
	transfer_reply(reply, WIRE_EXITED, status);
	return status;
}

/*
 * Tells a sender that asked that what it sent was taken but could not be
 * printed; recv exits 1, as the reply says.
 */
static int
unprinted(const struct receiver *r)
{
	if (r->flags & WIRE_ACK)
		transfer_reply(r->sock, WIRE_REFUSED, 1);
	return 1;
}

/* Puts out what was printed and tells a sender that asked; 0 or 1. */
static int
deliver(struct recv_run *run)
{
	const struct receiver *r = &run->receiver;

	switch (record_finish(&run->record, r->flags & WIRE_ACK ? r->sock :
	    -1)) {
	case RECORD_OUT:
		break;
	case RECORD_SENDER_GONE:
		log_warnx("receive on %s: the sender left before its transfer "
		    "was printed", run->opt->socket_arg);
		return 1;
	case RECORD_FAILED:
		return unprinted(r);
	}
	if (r->flags & WIRE_ACK)
		transfer_reply(r->sock, WIRE_DELIVERED, 0);
	if (r->flags & WIRE_WAIT)
		transfer_reply(r->sock, WIRE_EXITED, 0);
	return 0;
}

/* Tells a sender that asked why its transfer was refused. */
static void
decline(const struct receiver *r)
{
	if ((r->flags & WIRE_ACK) && r->reason != WIRE_UNSAID)
		transfer_reply(r->sock, WIRE_DECLINED, r->reason);
	else if (r->flags & WIRE_ACK)
		transfer_reply(r->sock, WIRE_REFUSED, EXIT_REFUSED);
}

/*
 * Ends the sender's turn that turn_receive left at t: hands what was
 * taken to COMMAND, which may exec, or puts out what was printed; or
 * refuses it, or reports the failure.  Returns the status recv exits with
 * for this sender.
 */
int
turn_end(struct recv_run *run, enum turn t)
{
	const char *arg = run->opt->socket_arg;

	if (t == TURN_TAKEN && run->opt->handoff.command != NULL)
		t = hand_over(run);
	if (t == TURN_REFUSED)
		decline(&run->receiver);
	/*
	 * The one place the received descriptors are released.  Up to here
	 * they are the receiver's (a COMMAND run as a child has copies);
	 * after it, nobody's.
	 */
	receiver_release(&run->receiver);
	switch (t) {
	case TURN_EMPTY:
		return 0;
	case TURN_TAKEN:
		return deliver(run);
	case TURN_CHILD:
		return wait_command(run);
	case TURN_UNPRINTED:
		return unprinted(&run->receiver);
	case TURN_REFUSED:
		fprintf(stderr, "fdpass: receive on %s: %s\n", arg, run->why);
		return EXIT_REFUSED;
	case TURN_FAILED:
		break;
	}
	if (run->why != NULL) {
		log_warnx("receive on %s: %s", arg, run->why);
		return 1;
	}
	errno = run->errnum;
	log_warn("receive on %s", arg);
	return 1;
}
