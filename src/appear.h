/*
 * Waiting for a socket file to appear, so that a sender started before
 * its receiver listens connects as soon as it does.
 */
#ifndef FDPASS_APPEAR_H
#define FDPASS_APPEAR_H

struct appear {
	int	fd;		/* inotify, -1 until watching */
};

int	appear_watch(struct appear *, const char *);
int	appear_wait(struct appear *, int);
void	appear_close(struct appear *);

#endif
