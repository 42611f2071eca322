/*
 * Unit tests of the access rules, src/access.c: who is allowed, the
 * exact refusal texts, and --peer-pid's pinning of a process by its
 * pidfd's inode, so that one that takes its pid over is not taken for it.
 */
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/sched.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "access.h"
#include "grab.h"
#include "unit.h"

/* A peer of our own user and group, and this process. */
static struct fdp_peer
own_peer(void)
{
	struct fdp_peer p = { getpid(), geteuid(), getegid(), 0 };

	return p;
}

/* A peer of another user and group than ours. */
static struct fdp_peer
other_peer(void)
{
	struct fdp_peer p = own_peer();

	p.uid = geteuid() + 1;
	p.gid = getegid() + 1;
	return p;
}

/* Tells whether the rules refuse p with want, printing both if not. */
static int
refused_with(const struct access *acc, const struct fdp_peer *p,
    const char *want)
{
	const char *got = access_refusal(acc, p);

	if (got != NULL && strcmp(got, want) == 0)
		return 1;
	printf("#   got:  %s\n#   want: %s\n", got != NULL ? got :
	    "(admitted)", want);
	return 0;
}

/* Tells whether the rules refuse p for having the id got, not wanted. */
static int
refused_id(const struct access *acc, const struct fdp_peer *p,
    const char *id, long got, long wanted)
{
	char want[96];

	snprintf(want, sizeof(want), "peer is %s %ld, not %ld", id, got,
	    wanted);
	return refused_with(acc, p, want);
}

/* Tells whether the rules refuse p as a user not allowed. */
static int
refused_user(const struct access *acc, const struct fdp_peer *p)
{
	char want[64];

	snprintf(want, sizeof(want), "peer is uid %ld, not an allowed user",
	    (long)p->uid);
	return refused_with(acc, p, want);
}

/* Tells whether the rules refuse p as not the process pinned. */
static int
refused_gone(const struct access *acc, const struct fdp_peer *p)
{
	char want[96];

	snprintf(want, sizeof(want), "peer pid %ld is not the process "
	    "--peer-pid named, which is gone", (long)p->pid);
	return refused_with(acc, p, want);
}

/* Forks a child that waits to be killed; its pid, or -1. */
static pid_t
start_sleeper(void)
{
	pid_t pid;

	if ((pid = fork()) == 0) {
		for (;;)
			pause();
	}
	return pid;
}

/* Kills and reaps the child pid; tells whether it is gone. */
static int
stop(pid_t pid)
{
	int status;

	return kill(pid, SIGKILL) == 0 && waitpid(pid, &status, 0) == pid;
}

/*
 * Starts a child that waits to be killed at exactly pid (clone3's
 * set_tid); -1 where that is not allowed or the pid is taken.
 */
static pid_t
start_sleeper_at(pid_t pid)
{
	struct clone_args args;
	long got;

	memset(&args, 0, sizeof(args));
	args.exit_signal = SIGCHLD;
	args.set_tid = (uintptr_t)&pid;
	args.set_tid_size = 1;
	if ((got = syscall(SYS_clone3, &args, sizeof(args))) == 0) {
		for (;;)
			pause();
	}
	return got;
}

/*
 * Tells whether acc has its process pinned by inode; says so where the
 * kernel has no pidfs (before Linux 6.9), which leaves the pid alone.
 */
static int
pinned(const struct access *acc)
{
	uint64_t inode;

	if (acc->peer_pidfd_inode != 0)
		return 1;
	if (grab_pid_inode(getpid(), &inode) == 0)
		return CHECK(acc->peer_pidfd_inode != 0);
	printf("#   no pidfd inodes here: %s\n", strerror(errno));
	return 0;
}

/* No rules: our own user is dealt with, another is not. */
static void
test_own_user(void)
{
	struct access acc;
	struct fdp_peer own = own_peer(), other = other_peer();

	memset(&acc, 0, sizeof(acc));
	CHECK(access_allowed(&acc, &own));
	CHECK(access_refusal(&acc, &own) == NULL);
	CHECK(!access_allowed(&acc, &other));
	CHECK(refused_user(&acc, &other));
}

/* --allow-uid admits a user, --allow-gid a group; others stay out. */
static void
test_allow_lists(void)
{
	struct access acc;
	struct fdp_peer other = other_peer();
	size_t i;

	memset(&acc, 0, sizeof(acc));
	/* The last of a full list counts as the first does. */
	for (i = 0; i < MAX_ALLOWED; i++)
		acc.uids[i] = other.uid + 1 + i;
	acc.nuids = MAX_ALLOWED;
	CHECK(refused_user(&acc, &other));
	acc.uids[MAX_ALLOWED - 1] = other.uid;
	CHECK(access_allowed(&acc, &other));
	CHECK(access_refusal(&acc, &other) == NULL);

	memset(&acc, 0, sizeof(acc));
	acc.gids[0] = other.gid + 1;
	acc.ngids = 1;
	CHECK(!access_allowed(&acc, &other));
	CHECK(refused_user(&acc, &other));
	acc.gids[1] = other.gid;
	acc.ngids = 2;
	CHECK(access_allowed(&acc, &other));
	CHECK(access_refusal(&acc, &other) == NULL);
}

/*
 * --peer-uid and --peer-gid admit the one they name, which access_allowed
 * (any peer, not just the one at SOCKET) does not; another is refused
 * with what it is and what was wanted, the uid told before the gid.
 */
static void
test_peer_uid_gid(void)
{
	struct access acc;
	struct fdp_peer own = own_peer(), other = other_peer();

	memset(&acc, 0, sizeof(acc));
	acc.check_uid = 1;
	acc.peer_uid = other.uid;
	CHECK(access_refusal(&acc, &other) == NULL);
	CHECK(!access_allowed(&acc, &other));
	CHECK(refused_id(&acc, &own, "uid", own.uid, other.uid));

	acc.check_gid = 1;
	acc.peer_gid = own.gid;
	CHECK(refused_id(&acc, &own, "uid", own.uid, other.uid));
	CHECK(refused_id(&acc, &other, "gid", other.gid, own.gid));

	memset(&acc, 0, sizeof(acc));
	acc.check_gid = 1;
	acc.peer_gid = other.gid;
	CHECK(access_refusal(&acc, &other) == NULL);
	CHECK(!access_allowed(&acc, &other));
}

/* --peer-pid: another pid is refused, even of our own user. */
static void
test_peer_pid(void)
{
	struct access acc;
	struct fdp_peer own = own_peer(), other = other_peer();

	memset(&acc, 0, sizeof(acc));
	acc.check_pid = 1;
	acc.peer_pid = own.pid + 1;
	CHECK(refused_id(&acc, &own, "pid", own.pid, own.pid + 1));
	/* The pid named, but not a user allowed. */
	other.pid = own.pid + 1;
	CHECK(refused_user(&acc, &other));
	/* Our own user with the pid named, nothing pinned: admitted. */
	own.pid++;
	CHECK(access_refusal(&acc, &own) == NULL);
}

/* Pinning is for --peer-pid only; a pid with no process fails. */
static void
test_pin_nothing(void)
{
	struct access acc;
	pid_t pid;

	memset(&acc, 0, sizeof(acc));
	CHECK(access_pin_pid(&acc) == 0);
	CHECK(acc.peer_pidfd_inode == 0);
	if (!CHECK((pid = start_sleeper()) != -1))
		return;
	CHECK(stop(pid));
	acc.check_pid = 1;
	acc.peer_pid = pid;
	acc.peer_pidfd_inode = 1;
	errno = 0;
	CHECK(access_pin_pid(&acc) == -1);
	CHECK(errno == ESRCH);
	CHECK(acc.peer_pidfd_inode == 0);
}

/*
 * A pinned process is known by its pidfd's inode when the peer's is
 * known (SO_PEERPIDFD), and otherwise by still having the pid; once it
 * has exited, a peer with its pid is not it.
 */
static void
test_pinned_process_gone(void)
{
	struct access acc;
	struct fdp_peer peer = own_peer();
	uint64_t own_inode;
	pid_t pid;

	if (!CHECK((pid = start_sleeper()) != -1))
		return;
	memset(&acc, 0, sizeof(acc));
	acc.check_pid = 1;
	acc.peer_pid = pid;
	CHECK(access_pin_pid(&acc) == 0);
	if (!pinned(&acc) || !CHECK(grab_pid_inode(getpid(), &own_inode) ==
	    0)) {
		CHECK(stop(pid));
		return;
	}
	peer.pid = pid;
	CHECK(access_refusal(&acc, &peer) == NULL);
	peer.pidfd_inode = acc.peer_pidfd_inode;
	CHECK(access_refusal(&acc, &peer) == NULL);
	peer.pidfd_inode = own_inode;
	CHECK(refused_gone(&acc, &peer));
	CHECK(stop(pid));
	peer.pidfd_inode = 0;
	CHECK(refused_gone(&acc, &peer));
}

/*
 * A process that takes the pinned pid over is not the one pinned, by its
 * pidfd's inode or by the pid's.  It takes the pid with clone3's set_tid,
 * which needs privilege: without, there is nothing to test.
 */
static void
test_pinned_pid_reused(void)
{
	struct access acc;
	struct fdp_peer peer = own_peer();
	pid_t pid, again;

	if (!CHECK((pid = start_sleeper()) != -1))
		return;
	memset(&acc, 0, sizeof(acc));
	acc.check_pid = 1;
	acc.peer_pid = pid;
	CHECK(access_pin_pid(&acc) == 0);
	CHECK(stop(pid));
	if (!pinned(&acc))
		return;
	if ((again = start_sleeper_at(pid)) == -1) {
		printf("#   no second process at pid %ld: %s\n", (long)pid,
		    strerror(errno));
		return;
	}
	CHECK(again == pid);
	peer.pid = pid;
	CHECK(refused_gone(&acc, &peer));
	if (CHECK(grab_pid_inode(pid, &peer.pidfd_inode) == 0)) {
		CHECK(peer.pidfd_inode != acc.peer_pidfd_inode);
		CHECK(refused_gone(&acc, &peer));
	}
	CHECK(stop(again));
}

/* Any --allow-* or --peer-* option counts as given; none, not. */
static void
test_given(void)
{
	struct access acc;

	memset(&acc, 0, sizeof(acc));
	CHECK(!access_given(&acc));
	acc.peer_uid = 1;
	acc.peer_gid = 1;
	acc.peer_pid = 1;
	CHECK(!access_given(&acc));
	acc.nuids = 1;
	CHECK(access_given(&acc));
	memset(&acc, 0, sizeof(acc));
	acc.ngids = 1;
	CHECK(access_given(&acc));
	memset(&acc, 0, sizeof(acc));
	acc.check_uid = 1;
	CHECK(access_given(&acc));
	memset(&acc, 0, sizeof(acc));
	acc.check_gid = 1;
	CHECK(access_given(&acc));
	memset(&acc, 0, sizeof(acc));
	acc.check_pid = 1;
	CHECK(access_given(&acc));
}

static const struct unit_test tests[] = {
	{ "access: own user admitted, another refused", test_own_user },
	{ "access: --allow-uid and --allow-gid", test_allow_lists },
	{ "access: --peer-uid and --peer-gid", test_peer_uid_gid },
	{ "access: --peer-pid", test_peer_pid },
	{ "access_pin_pid: nothing to pin, no such process",
	    test_pin_nothing },
	{ "access: a pinned process that exited", test_pinned_process_gone },
	{ "access: a pinned pid taken over", test_pinned_pid_reused },
	{ "access_given", test_given },
};

int
main(void)
{
	return unit_run(tests, sizeof(tests) / sizeof(tests[0]));
}
