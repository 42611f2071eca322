"""A raw peer for the bats tests: it speaks to fdpass with plain sockets,
so a test can send what fdpass itself never would.  Imported by the
/usr/bin/python3 snippets in tests/*.bats (PYTHONPATH is tests/)."""

import array
import os
import select
import signal
import socket
import struct
import time

WAIT = float(os.environ.get("WAIT", "10"))


def connect(path, kind=socket.SOCK_STREAM):
    """Connects to path (or @name), waiting for the listener to appear."""
    address = "\0" + path[1:] if path.startswith("@") else path
    deadline = time.monotonic() + WAIT
    while True:
        sock = socket.socket(socket.AF_UNIX, kind)
        try:
            sock.connect(address)
            return sock
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def header(nfds, names_len=0, data_len=0, version=2, flags=0):
    """The fdpass wire header, as src/wire.c lays it out."""
    return b"FDPM" + struct.pack(">BBHIQ", version, flags, nfds, names_len,
                                 data_len)


def credentials():
    """An SCM_CREDENTIALS item for this process, which the kernel checks."""
    return (socket.SOL_SOCKET, socket.SCM_CREDENTIALS,
            struct.pack("iII", os.getpid(), os.geteuid(), os.getegid()))


def propose(sock, nfds, names_len):
    """Sends a header alone with our credentials, as fdpass send does
    (flags 0x01 and 0x04), and returns the start of the answer: the magic,
    what it says and its status."""
    sock.sendmsg([header(nfds, names_len, flags=5)], [credentials()])
    return sock.recv(8)[:6]


def null_fds(n):
    """n fresh descriptors of /dev/null."""
    return [os.open("/dev/null", os.O_RDONLY) for _ in range(n)]


def assert_closed(readers):
    """Checks that every copy of the pipes' write ends was closed: each
    read end sees end of file within WAIT seconds."""
    for r in readers:
        ready, _, _ = select.select([r], [], [], WAIT)
        assert ready and os.read(r, 1) == b"", "a passed pipe end is still open"
    print("closed")


def send_pipe_ends(sock, data, n=1):
    """Sends data with the write ends of n fresh pipes on sock, closes
    ours, and returns the read ends."""
    readers, writers = zip(*(os.pipe() for _ in range(n)))
    socket.send_fds(sock, [data], list(writers))
    for w in writers:
        os.close(w)
    return list(readers)


def send_pipe_end(path, data):
    """Sends data with the write end of a fresh pipe to path, then checks
    that the receiver closed that end, as it must when it refuses."""
    sock = connect(path)
    assert_closed(send_pipe_ends(sock, data))


def listen(address, kind=socket.AF_UNIX):
    """A socket listening on address: a path, or a (host, port) pair with
    kind AF_INET."""
    sock = socket.socket(kind)
    if kind != socket.AF_UNIX:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.listen()
    return sock


def full_listener(path):
    """A socket listening on path with a backlog of one that it never
    accepts from, filled with connections until the kernel turns the next
    one away: connect(2) to it would block."""
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(path)
    sock.listen(0)
    waiting = []
    while True:
        client = socket.socket(socket.AF_UNIX)
        client.setblocking(False)
        try:
            client.connect(path)
        except BlockingIOError:
            client.close()
            return sock, waiting
        waiting.append(client)


def take_offered(path, ready=b"FDPR\x04\x00\x00\x00"):
    """Listens on path as an fdpass receiver would, answers the first
    sender's lone header with ready, takes the descriptors that follow
    and closes them, and returns the connection, leaving the sender to
    wait for the rest."""
    return take_offered_from(listen(path), ready)


def take_offered_from(server, ready=b"FDPR\x04\x00\x00\x00"):
    """take_offered on the listening socket server."""
    conn, _ = server.accept()
    conn.recv(20)
    conn.sendall(ready)
    _, fds, _, _ = socket.recv_fds(conn, 4096, 10)
    for fd in fds:
        os.close(fd)
    return conn


def stopped(conn, what):
    """Runs what while the process at the other end of conn is stopped,
    so that all it sends is queued before that process reads any."""
    pid, _, _ = struct.unpack("iII", conn.getsockopt(
        socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("iII")))
    os.kill(pid, signal.SIGSTOP)
    try:
        what()
    finally:
        os.kill(pid, signal.SIGCONT)


def lingering_socket(seconds=30):
    """A TCP connection on loopback whose last close(2) waits: SO_LINGER
    is on and unsent data fills its small buffers, which the peer never
    reads.  Returns that end and the peer, which must stay open for the
    wait to last (closing it resets the connection)."""
    lsn = socket.socket()
    # Before the listen, so that the window offered is small too.
    lsn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    lsn.bind(("127.0.0.1", 0))
    lsn.listen()
    end = socket.socket()
    end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    end.connect(lsn.getsockname())
    far, _ = lsn.accept()
    lsn.close()
    end.setblocking(False)
    try:
        while True:
            end.send(bytes(4096))
    except BlockingIOError:
        pass
    end.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                   struct.pack("ii", 1, seconds))
    return end, far


def send_lingering(sock, buffers=(b"x",), n=1, flags=0, *address):
    """Sends on sock n copies of a lingering socket (lingering_socket),
    with buffers, flags and address as sendmsg(2) takes them, then closes
    this end: the receiver's copies hold its last reference.  Returns the
    peer, which must stay open."""
    end, far = lingering_socket()
    sock.sendmsg(list(buffers), [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                  array.array("i", [end.fileno()] * n))],
                 flags, *address)
    end.close()
    return far


def say_sent_and_stay():
    """Says "sent", which sent_in_background waits for, and stays, so that
    the peers of the lingering sockets sent stay open."""
    print("sent", flush=True)
    time.sleep(60)
