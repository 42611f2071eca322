/*
 * The sd_notify messages of systemd's fd store, as `send --notify-fdstore'
 * and the holder's mirror (hold_manager.c) write them.
 */
#ifndef FDPASS_FDSTORE_H
#define FDPASS_FDSTORE_H

#include <stddef.h>

#include "wire.h"

/* Room for the longest message, with its NUL. */
#define FDSTORE_MESSAGE_MAX \
	(sizeof("FDSTOREREMOVE=1\nFDNAME=\nFDPOLL=0\n") + WIRE_NAME_MAX)

/* What a message asks of the fd store. */
enum fdstore_ask {
	FDSTORE_STORE,		/* FDSTORE=1: keep the descriptor */
	FDSTORE_KEEP,		/* and FDPOLL=0: even once it hangs up */
	FDSTORE_REMOVE		/* FDSTOREREMOVE=1: close all of name */
};

size_t	fdstore_message(char *, enum fdstore_ask, const char *);

#endif
