"""The Python baseline for bench_core: descriptors per second through
socket.send_fds and socket.recv_fds, the same job as bench_core's loops.

Each iteration passes one descriptor with one data byte over a SOCK_STREAM
socketpair, receives it close-on-exec (MSG_CMSG_CLOEXEC, as fdpass does)
and closes it, sender and receiver in one thread, timed in CPU time as
bench_core is.  After a warm-up pass the loop runs ROUNDS times and the
median round is printed.

usage: /usr/bin/python3 core.py ITERATIONS ROUNDS
prints "python MEDIAN MIN MAX" in fds per CPU second.
"""
import os
import socket
import sys
import time


def one_round(tx, rx, fd, n):
    """Passes fd n times; returns the rate in fds per CPU second."""
    start = time.process_time()
    for _ in range(n):
        socket.send_fds(tx, [b"\0"], [fd])
        _, fds, _, _ = socket.recv_fds(rx, 1, 1, socket.MSG_CMSG_CLOEXEC)
        if len(fds) != 1:
            sys.exit("core.py: expected 1 descriptor, got %d" % len(fds))
        os.close(fds[0])
    return n / (time.process_time() - start)


def main():
    n, rounds = int(sys.argv[1]), int(sys.argv[2])
    tx, rx = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    fd = os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC)
    one_round(tx, rx, fd, n // 10 + 1)
    rates = sorted(one_round(tx, rx, fd, n) for _ in range(rounds))
    print("python %.0f %.0f %.0f" % (rates[rounds // 2], rates[0], rates[-1]))


main()
