"""Operational checks of a running sink: many concurrent connects, the
connection limit, the idle timeout, a precise delay, shutdown replies.
Usage: sink_ops.py MODE PORT [ARG]; exit 0 when the check held."""
import resource
import select
import socket
import sys
import time

MODE, PORT = sys.argv[1], int(sys.argv[2])
ARG = sys.argv[3] if len(sys.argv) > 3 else None


def read_reply(sock, timeout=10.0):
    sock.settimeout(timeout)
    buf = b""
    while True:
        data = sock.recv(4096)
        if not data:
            return buf.decode() or None
        buf += data
        lines = buf.split(b"\r\n")
        if len(lines) > 1 and lines[-2][3:4] == b" ":
            return buf.decode()


def many(n):
    """n connections opened at once; every one must be greeted and
    answered (the backlog must not throttle them)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", PORT))
        socks.append(s)
    pending = {s.fileno(): s for s in socks}
    got = {s.fileno(): b"" for s in socks}
    deadline = time.monotonic() + 60
    poller = select.poll()
    for s in socks:
        poller.register(s, select.POLLIN)
    while pending and time.monotonic() < deadline:
        for fd, ev in poller.poll(1000):
            try:
                data = pending[fd].recv(4096)
            except (BlockingIOError, KeyError):
                continue
            got[fd] += data
            if b"\r\n" in got[fd] or not data:
                poller.unregister(fd)
                del pending[fd]
    greeted = sum(1 for v in got.values() if v.startswith(b"220 "))
    for s in socks:
        s.setblocking(True)
        s.settimeout(10)
        s.sendall(b"QUIT\r\n")
    bye = 0
    for s in socks:
        try:
            if read_reply(s).startswith("221"):
                bye += 1
        except OSError:
            pass
        s.close()
    print("connections %d, greeted %d, QUIT answered %d" % (n, greeted, bye))
    return greeted == n and bye == n


def limit(n):
    """n sessions fill the limit; the next gets 421 4.7.0 and a close."""
    socks = [socket.create_connection(("127.0.0.1", PORT)) for _ in range(n)]
    ok = all(read_reply(s).startswith("220 ") for s in socks)
    extra = socket.create_connection(("127.0.0.1", PORT))
    r = read_reply(extra)
    closed = read_reply(extra) is None
    print("over the limit: %r, then closed: %s" % (r, closed))
    for s in socks + [extra]:
        s.close()
    return ok and r.startswith("421 4.7.0") and closed


def idle():
    s = socket.create_connection(("127.0.0.1", PORT))
    t0 = time.monotonic()
    assert read_reply(s).startswith("220 ")
    r = read_reply(s, timeout=10)
    dt = time.monotonic() - t0
    closed = read_reply(s) is None
    print("idle: %r after %.2fs, closed %s" % (r, dt, closed))
    return r.startswith("421 4.4.2") and 0.9 <= dt < 5 and closed


def delay(ms):
    s = socket.create_connection(("127.0.0.1", PORT))
    read_reply(s)
    t0 = time.monotonic()
    s.sendall(b"NOOP\r\n")
    r = read_reply(s)
    dt = (time.monotonic() - t0) * 1000
    print("NOOP delayed %.1f ms (asked %s ms): %r" % (dt, ms, r))
    return r.startswith("250") and int(ms) <= dt < int(ms) + 1000


def hold():
    """Opens a session, says EHLO, and waits for the shutdown 421."""
    s = socket.create_connection(("127.0.0.1", PORT))
    read_reply(s)
    s.sendall(b"EHLO client.test\r\n")
    read_reply(s)
    print("ready", flush=True)
    r = read_reply(s, timeout=30)
    closed = read_reply(s) is None
    print("at shutdown: %r, closed %s" % (r, closed))
    return r.startswith("421 4.3.2") and closed


def unix(path):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    r = read_reply(s)
    s.sendall(b"QUIT\r\n")
    q = read_reply(s)
    print("unix socket: %r %r" % (r, q))
    return r.startswith("220 ") and q.startswith("221")


def halfclose():
    """Everything in one write, then a half-close: every reply still
    comes, then the close."""
    s = socket.create_connection(("127.0.0.1", PORT))
    s.sendall(b"EHLO client.test\r\nMAIL FROM:<a@x.test>\r\n"
              b"RCPT TO:<b@y.test>\r\nDATA\r\nx\r\n.\r\nNOOP\r\nQUIT\r\n")
    s.shutdown(socket.SHUT_WR)
    s.settimeout(10)
    buf = b""
    while True:
        data = s.recv(65536)
        if not data:
            break
        buf += data
    codes = [l[:4] for l in buf.decode().split("\r\n") if l[3:4] == " "]
    print("half-close: %s" % " ".join(c.strip() for c in codes))
    return codes == ["220 ", "250 ", "250 ", "250 ", "354 ", "250 ", "250 ",
                     "221 "]


def ipv6():
    s = socket.create_connection(("::1", PORT))
    r = read_reply(s)
    print("ipv6: %r" % r)
    return r.startswith("220 ")


CHECKS = {"many": lambda: many(int(ARG)), "limit": lambda: limit(int(ARG)),
          "idle": idle, "delay": lambda: delay(ARG), "hold": hold,
          "unix": lambda: unix(ARG), "ipv6": ipv6, "halfclose": halfclose}
sys.exit(0 if CHECKS[MODE]() else 1)
