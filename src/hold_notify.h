/*
 * fdpass hold --notify-socket: the sd_notify datagrams that store and
 * remove descriptors as systemd's fd store takes them, so that a program
 * written for that store keeps its descriptors in the holder instead.
 */
#ifndef FDPASS_HOLD_NOTIFY_H
#define FDPASS_HOLD_NOTIFY_H

#include "address.h"
#include "hold.h"
#include "holder.h"

const struct listener *hold_notify_open(const struct hold_options *);
void	hold_notify_take(int, struct holder *, const struct hold_options *);

#endif
