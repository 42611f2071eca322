/*
 * Requests to a holder: sent by recv --fetch and hold --list and
 * --remove, read by the holder.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "wire.h"

/*
 * Sends on sock a request, flags WIRE_FETCH or WIRE_REMOVE, for the n
 * names, by the deadline d.  Fails with EMSGSIZE when they pass
 * REQUEST_MAX bytes.
 */
int
request_send(int sock, int flags, char *const *names, size_t n,
    const struct deadline *d)
{
	struct outgoing out = { 0 };
	struct outcome none = { 0 };
	size_t i, len = 0;
	char *list, *p;
	int ret, saved;

	for (i = 0; i < n; i++)
		len += strlen(names[i]) + 1;
	if (len > REQUEST_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	if ((list = malloc(len + 1)) == NULL)
		return -1;
	for (i = 0, p = list; i < n; i++)
		p = stpcpy(p, names[i]) + 1;
	out.data = list;
	out.datalen = len;
	out.data_fd = -1;
	out.flags = flags | WIRE_ACK;
	out.deadline = d;
	ret = transfer_send(sock, &out, &none);
	saved = errno;
	free(list);
	errno = saved;
	return ret;
}

/*
 * Waits by the deadline d for the answer to a request on sock, and tells
 * whether it is a reply, read into *v (1), rather than a transfer, left
 * for a receiver to take (0).
 */
int
request_declined(int sock, const struct deadline *d, struct outcome *v)
{
	char magic[WIRE_MAGIC_SIZE];
	ssize_t n;

	if (fdp_urgent_inline(sock) == -1)
		return -1;
	do {
		if (deadline_wait(d, sock, POLLIN) == -1)
			return -1;
		n = recv(sock, magic, sizeof(magic), MSG_PEEK | MSG_DONTWAIT);
	} while (n == -1 && (errno == EINTR || errno == EAGAIN));
	if (n == -1)
		return -1;
	if (n < (ssize_t)sizeof(magic) ||
	    memcmp(magic, WIRE_REPLY_MAGIC, sizeof(magic)) != 0)
		return 0;
	if (transfer_await(sock, 0, d, v) == -1)
		return -1;
	return 1;
}

/*
 * Reads the names of the request that r took, into *names (NULL when it
 * names none, for all; else to be freed, in one block with the names),
 * *n of them.  Fails with r->why set when they are no list of valid
 * names.
 */
int
request_names(struct receiver *r, char ***names, size_t *n)
{
	size_t len = r->data_left, i, count = 0;
	char *list, **v, *p;
	ssize_t got;

	*names = NULL;
	*n = 0;
	if (len == 0)
		return 0;
	if (len > REQUEST_MAX || (list = malloc(len)) == NULL) {
		r->why = "too long a request";
		return -1;
	}
	for (i = 0; i < len; i += got)
		if ((got = receiver_data(r, list + i, len - i)) <= 0) {
			free(list);
			return -1;
		}
	for (i = 0; i < len; i++)
		count += list[i] == '\0';
	if (list[len - 1] != '\0' || (v = malloc(count * sizeof(*v) +
	    len)) == NULL) {
		free(list);
		r->why = "a bad request";
		return -1;
	}
	p = memcpy(v + count, list, len);
	free(list);
	for (i = 0; i < count; i++, p += strlen(p) + 1) {
		v[i] = p;
		if (*p == '\0' || !wire_name_valid(p)) {
			free(v);
			r->why = "a bad name in a request";
			return -1;
		}
	}
	*names = v;
	*n = count;
	return 0;
}
