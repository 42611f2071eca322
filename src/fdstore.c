/*
 * sd_notify's fd store messages.  The name is one the wire allows
 * (wire_name_valid), which systemd's FDNAME rules allow too.
 */
#include <stdio.h>

#include "fdstore.h"

/*
 * Writes into buf, of FDSTORE_MESSAGE_MAX bytes, the message that asks
 * the fd store for what under name; returns its length.
 */
size_t
fdstore_message(char *buf, enum fdstore_ask what, const char *name)
{
	int n;

	n = snprintf(buf, FDSTORE_MESSAGE_MAX, "%s\nFDNAME=%s\n%s",
	    what == FDSTORE_REMOVE ? "FDSTOREREMOVE=1" : "FDSTORE=1", name,
	    what == FDSTORE_KEEP ? "FDPOLL=0\n" : "");
	return n > 0 ? (size_t)n : 0;
}
