"""The Python baseline for the end-to-end benchmark: `fdpass recv SOCKET
COMMAND...` and `fdpass send --timeout 5 SOCKET FILE`, written the plain
way in Python, to compare wall times of the same job.

  e2e.py recv SOCKET COMMAND...   listen on SOCKET, accept one sender,
                                  receive one descriptor, remove SOCKET,
                                  exec COMMAND with it as standard input
  e2e.py send SOCKET FILE         open FILE and pass it to SOCKET, waiting
                                  for a listener as fdpass send --timeout
                                  does: retry from 50 us, growing by an
                                  eighth, up to 5 s
"""
import errno
import os
import socket
import sys
import time


def recv(path, command):
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen()
    conn, _ = listener.accept()
    _, fds, _, _ = socket.recv_fds(conn, 64, 1, socket.MSG_CMSG_CLOEXEC)
    if len(fds) != 1:
        sys.exit("e2e.py recv: expected 1 descriptor, got %d" % len(fds))
    os.unlink(path)
    os.dup2(fds[0], 0)
    os.close(fds[0])
    os.execvp(command[0], command)


def send(path, file):
    fd = os.open(file, os.O_RDONLY | os.O_CLOEXEC)
    deadline = time.monotonic() + 5
    pause = 0.00005
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
            break
        except OSError as e:
            sock.close()
            if (e.errno not in (errno.ENOENT, errno.ECONNREFUSED) or
                    time.monotonic() >= deadline):
                raise
            time.sleep(pause)
            pause = min(pause * 1.125, 0.01)
    socket.send_fds(sock, [b"\0"], [fd])


if sys.argv[1] == "recv":
    recv(sys.argv[2], sys.argv[3:])
else:
    send(sys.argv[2], sys.argv[3])
