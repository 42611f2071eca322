/*
 * The fdpass wire format: a fixed header that says how many descriptors,
 * name bytes and data bytes a transfer carries, so that the receiver can
 * check that it got everything.  See PROTOCOL in fdpass(1).
 */
#ifndef FDPASS_WIRE_H
#define FDPASS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define WIRE_MAGIC		"FDPM"
#define WIRE_MAGIC_SIZE		4
#define WIRE_VERSION		2
#define WIRE_HEADER_SIZE	20
#define WIRE_NAME_MAX		255
#define WIRE_MAX_FDS		UINT16_MAX

/* Header flags: what the sender asks the receiver to report back. */
#define WIRE_ACK		0x01	/* say when the fds are delivered */
#define WIRE_WAIT		0x02	/* and how the command exited */
#define WIRE_PROVE		0x04	/* answer the lone header first */

/*
 * Requests to a holder (fdpass hold), which carry no descriptors: their
 * data is the names asked for, each ended by a NUL byte.  A fetch is
 * answered with a transfer of copies of the descriptors held under those
 * names (all that are held, for no names), a removal with a reply.
 */
#define WIRE_FETCH		0x08	/* send me copies of these */
#define WIRE_REMOVE		0x10	/* drop these */
#define WIRE_REQUESTS		(WIRE_FETCH | WIRE_REMOVE)
#define WIRE_FLAGS		(WIRE_ACK | WIRE_WAIT | WIRE_PROVE | \
				    WIRE_REQUESTS)

/* Replies, from receiver to sender, WIRE_REPLY_SIZE bytes each. */
#define WIRE_REPLY_MAGIC	"FDPR"
#define WIRE_REPLY_SIZE		8
enum wire_reply {
	WIRE_DELIVERED = 1,	/* handed on, or printed */
	WIRE_REFUSED,		/* not taken; status says how recv exits */
	WIRE_EXITED,		/* the command ended; status is its status */
	WIRE_READY,		/* to WIRE_PROVE: send the rest */
	WIRE_DECLINED,		/* to WIRE_PROVE: do not; status is why */
};

/*
 * The status of a WIRE_READY, bits: WIRE_READY_SIGNALS to a WIRE_WAIT
 * sender, whose receiver passes on to its command the signals the sender
 * forwards; WIRE_NAMES_FIRST from a receiver that needs the names to
 * decide: send them alone, then it answers again.  A sender of 1.0.0
 * reads any WIRE_READY as 0 and sends the rest.
 */
#define WIRE_READY_SIGNALS	0x01
#define WIRE_NAMES_FIRST	0x02

/*
 * A signal forwarded by a WIRE_WAIT sender while the command runs,
 * WIRE_SIGNAL_SIZE bytes: SIGHUP, SIGINT or SIGTERM, numbered as POSIX
 * numbers them.
 */
#define WIRE_SIGNAL_MAGIC	"FDPS"
#define WIRE_SIGNAL_SIZE	8

/* Why a receiver declined a transfer, in a WIRE_DECLINED reply. */
enum wire_reason {
	WIRE_UNSAID,		/* it does not say */
	WIRE_TOO_MANY_FDS,	/* more than its descriptor limit lets in */
	WIRE_OTHER_COUNT,	/* not the number of fds it waits for */
	WIRE_TOO_MUCH_DATA,	/* more data than it holds */
	WIRE_UNPLACED,		/* not what its command takes (--at, ...) */
	WIRE_UNNAMED,		/* a holder keeps named descriptors only */
	WIRE_HOLD_FULL,		/* a holder would pass its --max-fds */
	WIRE_NOT_HELD,		/* a holder holds nothing under a name asked */
	WIRE_NOT_HOLDER,	/* a request, and this is no holder */
};

struct wire_header {
	uint8_t		version;
	uint8_t		flags;
	uint16_t	nfds;
	uint32_t	names_len;
	uint64_t	data_len;
};

void	wire_encode(const struct wire_header *, unsigned char *);
int	wire_is_framed(const unsigned char *, size_t);
int	wire_decode(const unsigned char *, size_t, struct wire_header *);
int	wire_name_valid(const char *);
int	wire_split_names(char *, size_t, size_t, char **);
void	wire_encode_reply(enum wire_reply, int, unsigned char *);
int	wire_decode_reply(const unsigned char *, enum wire_reply *, int *);
void	wire_encode_signal(int, unsigned char *);
int	wire_decode_signal(const unsigned char *, int *);

#endif
