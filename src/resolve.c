/*
 * The addresses a "[HOST:]PORT" stands for: numeric ones read here, names
 * looked up by running getent, as the system's nsswitch.conf says.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netns.h"
#include "resolve.h"
#include "signals.h"

/* The most getent may write: some hundreds of addresses. */
#define GETENT_MAX	65536

extern char **environ;

/*
 * Adds to list the address addr (a struct in_addr or in6_addr) of family,
 * with port, and scope for IPv6.  Returns 0, or -1 with errno set.
 */
static int
addrs_add(struct addrs *list, int family, const void *addr, in_port_t port,
    uint32_t scope)
{
	struct sockaddr_in *sin;
	struct sockaddr_in6 *sin6;
	struct addr *v, *a;

	if ((v = reallocarray(list->v, list->n + 1, sizeof(*v))) == NULL)
		return -1;
	list->v = v;
	a = &v[list->n++];
	memset(a, 0, sizeof(*a));
	if (family == AF_INET) {
		sin = (struct sockaddr_in *)&a->ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, addr, sizeof(sin->sin_addr));
		a->len = sizeof(*sin);
	} else {
		sin6 = (struct sockaddr_in6 *)&a->ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, addr, sizeof(sin6->sin6_addr));
		sin6->sin6_scope_id = scope;
		a->len = sizeof(*sin6);
	}
	return 0;
}

/* Frees what resolve put in list. */
void
addrs_free(struct addrs *list)
{
	free(list->v);
	list->v = NULL;
	list->n = 0;
}

/*
 * The index of the network interface called name, in the namespace where
 * send makes its sockets (--netns): if_nametoindex would ask the one
 * fdpass runs in, where the name may be another interface or none.
 * 0 when there is none.
 */
static unsigned int
interface_index(const struct netns *ns, const char *name)
{
	struct ifreq ifr;
	int fd, ret;

	memset(&ifr, 0, sizeof(ifr));
	if (strlcpy(ifr.ifr_name, name, sizeof(ifr.ifr_name)) >=
	    sizeof(ifr.ifr_name) || (fd = netns_socket(ns, AF_INET,
	    SOCK_DGRAM, 0)) == -1)
		return 0;
	ret = ioctl(fd, SIOCGIFINDEX, &ifr);
	close(fd);
	return ret == -1 ? 0 : (unsigned int)ifr.ifr_ifindex;
}

/*
 * Adds host to list when it is a numeric address of family (AF_UNSPEC for
 * either): an IPv4 dotted quad, or an IPv6 address with perhaps a %SCOPE,
 * an interface's name or number.  Returns 1 then, 0 when host is no such
 * address (a name, or a form only getaddrinfo(3) reads, for getent), or
 * -1 with errno set.
 */
static int
add_numeric(struct addrs *list, const struct netns *ns, const char *host,
    int family, in_port_t port)
{
	struct in_addr a4;
	struct in6_addr a6;
	char bare[INET6_ADDRSTRLEN];
	const char *scope, *errstr;
	uint32_t ifindex = 0;

	if (family != AF_INET6 && inet_pton(AF_INET, host, &a4) == 1)
		return addrs_add(list, AF_INET, &a4, port, 0) == -1 ? -1 : 1;
	if (family == AF_INET)
		return 0;
	if ((scope = strchr(host, '%')) != NULL) {
		if ((size_t)(scope - host) >= sizeof(bare))
			return 0;
		memcpy(bare, host, scope - host);
		bare[scope - host] = '\0';
		host = bare;
		if ((ifindex = interface_index(ns, scope + 1)) == 0)
			ifindex = strtonum(scope + 1, 1, UINT32_MAX, &errstr);
		if (ifindex == 0)
			return 0;
	}
	if (inet_pton(AF_INET6, host, &a6) != 1)
		return 0;
	return addrs_add(list, AF_INET6, &a6, port, ifindex) == -1 ? -1 : 1;
}

/*
 * Has SIGCHLD at SIG_DFL should fdpass have found it ignored, as then the
 * kernel would reap getent itself and its exit status would be lost.  It
 * stays so: SIG_DFL ignores the signal as well, fdpass has no other child
 * by then, and signals_restore puts SIG_IGN back before any exec.
 */
static int
collect_children(void)
{
	struct sigaction sa;

	if (sigaction(SIGCHLD, NULL, &sa) == -1)
		return -1;
	return sa.sa_handler == SIG_IGN ? signals_set(SIGCHLD, SIG_DFL) : 0;
}

/*
 * Runs FDPASS_GETENT, "getent ahosts", to look host up as the system's
 * nsswitch.conf says, fdpass being linked statically with a glibc that
 * cannot load NSS modules safely.  It gets /dev/null on 0 and 2, its
 * output pipe on 1, nothing else; what it writes goes to out (GETENT_MAX
 * bytes, NUL-terminated), and its wait status to *status.  At the
 * deadline d it is killed: ETIMEDOUT.  Returns 0, or -1 with errno set.
 */
static int
run_getent(const char *host, const struct deadline *d, char *out,
    int *status, const char **why)
{
	static char cannot_run[sizeof(FDPASS_GETENT) + 64];
	/* -A -i: as getaddrinfo(3) with no AI_ADDRCONFIG and no AI_IDN. */
	char *const argv[] = { "getent", "-A", "-i", "ahosts", "--",
	    (char *)host, NULL };
	posix_spawn_file_actions_t fa;
	size_t len = 0;
	ssize_t n;
	pid_t pid;
	int p[2], rc, eof = 0, saved;

	if (collect_children() == -1 || pipe2(p, O_CLOEXEC) == -1)
		return -1;
	if ((rc = posix_spawn_file_actions_init(&fa)) == 0) {
		if ((rc = posix_spawn_file_actions_addopen(&fa, 0,
		    "/dev/null", O_RDONLY, 0)) == 0 &&
		    (rc = posix_spawn_file_actions_adddup2(&fa, p[1], 1)) ==
		    0 &&
		    (rc = posix_spawn_file_actions_addopen(&fa, 2,
		    "/dev/null", O_WRONLY, 0)) == 0 &&
		    (rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3)) ==
		    0)
			rc = posix_spawn(&pid, FDPASS_GETENT, &fa, NULL, argv,
			    environ);
		posix_spawn_file_actions_destroy(&fa);
	}
	close(p[1]);
	if (rc != 0) {
		close(p[0]);
		snprintf(cannot_run, sizeof(cannot_run), "cannot run %s: %s",
		    FDPASS_GETENT, strerror(rc));
		*why = cannot_run;
		errno = rc;
		return -1;
	}
	while (!eof && deadline_wait(d, p[0], POLLIN) == 0) {
		n = read(p[0], out + len, GETENT_MAX - 1 - len);
		if (n == -1 && errno != EINTR)
			break;
		eof = n == 0;
		if (n > 0 && (len += n) == GETENT_MAX - 1) {
			errno = EOVERFLOW;
			break;
		}
	}
	saved = errno;
	close(p[0]);
	out[len] = '\0';
	/*
	 * At end of file getent has closed its output by exiting, so the
	 * wait is short; otherwise it is stopped here.
	 */
	if (!eof)
		kill(pid, SIGKILL);
	while (waitpid(pid, status, 0) == -1)
		if (errno != EINTR)
			return -1;
	errno = saved;
	return eof ? 0 : -1;
}

/*
 * Adds to list the addresses in getent's output out ("ADDRESS TYPE
 * [NAME]" lines) of the socket type, in getent's order, getaddrinfo's.
 */
static int
parse_getent(char *out, int type, in_port_t port, const struct netns *ns,
    struct addrs *list)
{
	const char *want = type == SOCK_STREAM ? "STREAM" : "DGRAM";
	char *line, addr[INET6_ADDRSTRLEN], kind[8];

	while ((line = strsep(&out, "\n")) != NULL) {
		/* The widths are those of addr and kind. */
		if (sscanf(line, "%45s %7s", addr, kind) != 2 ||
		    strcmp(kind, want) != 0)
			continue;
		if (add_numeric(list, ns, addr, AF_UNSPEC, port) == -1)
			return -1;
	}
	return 0;
}

/*
 * Looks the host name up with getent by the deadline d, adding its
 * addresses for sockets of the given type to list.
 */
static int
lookup_name(const char *host, int type, in_port_t port,
    const struct netns *ns, const struct deadline *d, struct addrs *list,
    const char **why)
{
	static char failed[sizeof(FDPASS_GETENT) + 64];
	char *out;
	int status, rc = -1;

	if ((out = malloc(GETENT_MAX)) == NULL)
		return -1;
	if (run_getent(host, d, out, &status, why) == -1)
		goto fail;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	    parse_getent(out, type, port, ns, list) == -1)
		goto fail;
	if (list->n > 0)
		rc = 0;
	else if (WIFEXITED(status) && (WEXITSTATUS(status) == 0 ||
	    WEXITSTATUS(status) == 2)) {
		/*
		 * An unknown host, or one with no address of the type: a
		 * runtime failure, not bad input, so not EINVAL.
		 */
		*why = "Name or service not known";
		errno = EADDRNOTAVAIL;
	} else {
		snprintf(failed, sizeof(failed), "%s failed (%s %d)",
		    FDPASS_GETENT, WIFEXITED(status) ? "status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) :
		    WTERMSIG(status));
		*why = failed;
		errno = EIO;
	}
fail:
	free(out);
	return rc;
}

/*
 * Puts in list the addresses hp stands for, for sockets of the given type
 * and family, by the deadline d: a HOST left out is the family's wildcard
 * (bound_socket's), a numeric one is read here, a name looked up with
 * getent (of either family: the family is fixed only for those two).  A
 * bracketed HOST must be a numeric IPv6 address.  An interface named in
 * an IPv6 scope is looked for in ns (NULL: fdpass's own namespace).  The
 * caller frees list with addrs_free.
 */
int
resolve(const struct hostport *hp, int family, int type,
    const struct netns *ns, const struct deadline *d, struct addrs *list,
    const char **why)
{
	const struct in_addr any4 = { htonl(INADDR_ANY) };
	int rc, saved;

	memset(list, 0, sizeof(*list));
	if (hp->host[0] == '\0')
		rc = addrs_add(list, family, family == AF_INET6 ?
		    (const void *)&in6addr_any : (const void *)&any4, hp->port,
		    0);
	else if ((rc = add_numeric(list, ns, hp->host, hp->bracketed ?
	    AF_INET6 : family, hp->port)) == 0) {
		if (hp->bracketed) {
			*why = "expected an IPv6 address in []";
			errno = EINVAL;
			return -1;
		}
		rc = lookup_name(hp->host, type, hp->port, ns, d, list,
		    why);
	}
	if (rc != -1)
		return 0;
	if (errno == ETIMEDOUT && deadline_remaining_ms(d) == 0)
		*why = "the host name lookup did not finish within --timeout";
	saved = errno;
	addrs_free(list);
	errno = saved;
	return -1;
}
