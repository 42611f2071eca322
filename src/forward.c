/*
 * Signals forwarded from send --wait to the command recv runs for it.
 * Once the descriptors are sent, SIGINT, SIGTERM and SIGHUP no longer end
 * send: each goes to the receiver as a frame of its own on the connection
 * (see wire.h), and send goes on waiting for the command's exit status,
 * which then tells what the signal did.  The receiver reads those frames
 * while it waits for its command and sends it each signal in turn.
 */
#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "dispose.h"
#include "forward.h"
#include "signals.h"
#include "transfer.h"
#include "wire.h"

/* The signals forwarded. */
static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP };

/* The connection to the receiver, for the handler. */
static volatile sig_atomic_t forward_sock = -1;

/*
 * Sends the signal on to the receiver, never waiting: on a connection
 * whose buffer is full, the receiver has not read the ones before.
 */
static void
on_forwarded(int sig)
{
	unsigned char frame[WIRE_SIGNAL_SIZE];
	int saved = errno;

	wire_encode_signal(sig, frame);
	(void)send(forward_sock, frame, sizeof(frame),
	    MSG_NOSIGNAL | MSG_DONTWAIT);
	errno = saved;
}

/*
 * Sender: from now on forwards SIGINT, SIGTERM and SIGHUP on sock instead
 * of dying of them; one ignored when fdpass started stays ignored.
 * Returns 0, or -1 with errno set.
 */
int
forward_signals(int sock)
{
	size_t i;

	forward_sock = sock;
	for (i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		if (signals_catch(forwarded[i], on_forwarded) == -1)
			return -1;
	return 0;
}

/*
 * Receiver: reads the next frame on sock, which poll(2) found readable,
 * and sends its signal to the command, child (not yet reaped, so the pid
 * is still its).  Returns 0 to read on, or -1 when nothing more is to be
 * read there: at the end of the connection, on an error, or on what is
 * no whole signal frame, which a sender would not send.
 */
int
forward_take(int sock, pid_t child)
{
	struct transfer_control c;
	unsigned char frame[WIRE_SIGNAL_SIZE];
	struct iovec iov = { frame, sizeof(frame) };
	ssize_t n;
	int sig;

	/*
	 * With room for descriptors, so that any a frame brings are disposed
	 * of here rather than closed by the kernel in this process.
	 */
	transfer_control_init(&c);
	do
		n = fdp_recv(sock, &iov, 1, &c.ctl, MSG_DONTWAIT);
	while (n == -1 && errno == EINTR);
	if (n == -1 && errno == EAGAIN)
		return 0;
	if (n != -1)
		dispose_rights(&c.ctl);
	if (n != sizeof(frame) || wire_decode_signal(frame, &sig) == -1)
		return -1;
	return kill(child, sig);
}
