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
#define WIRE_VERSION		1
#define WIRE_HEADER_SIZE	20
#define WIRE_NAME_MAX		255
#define WIRE_MAX_FDS		UINT16_MAX

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

#endif
