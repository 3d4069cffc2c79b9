"""A small, strict SMTP relay for the delivery tests (stdlib only).

It accepts mail on a loopback port and forwards every accepted message,
synchronously, to one next hop with its own raw SMTP client (not
smtplib, whose sendmail rewrites line ends). It answers the end of data
with 250 once the next hop took the message, and 451 when the next hop
could not be reached or deferred it. Like a real relay it puts one
Received: trace field at the top of what it forwards.

Strictness (RFC 5321 2.3.8, 4.1.1.4, 4.5.2): only CRLF ends a command
line, only CRLF.CRLF ends the data, dot-stuffing is undone and redone on
CRLF line starts only, and bare CR / bare LF bytes in the content are
kept as they came unless the mode says otherwise.

--mode picks a behaviour; modes that combine may be repeated
(`--mode pass --mode twice`). See MODES below. The bound port goes to
stdout's first line, or to --port-file. SIGTERM or SIGINT: exit 0. One
line per session and one per message on stderr.

Usage: relay.py --listen 127.0.0.1:0 --next 127.0.0.1:PORT [--mode M]... [--auth USER:PASS]
"""
import argparse
import base64
import datetime
import email.utils
import itertools
import os
import re
import signal
import socket
import socketserver
import sys
import threading

HOSTNAME = "relay.test"
LINE_MAX = 4096  # octets of a command or reply line, CRLF included
SIZE_MAX = 10485760  # octets of a message, advertised as SIZE
RCPT_MAX = 100
REPLY_LINES_MAX = 100

# What each mode is for (the delivery checks' expected outcome in brackets).
MODES = {
    "normalize": "bare LF / bare CR become CRLF: a careful relay (default) [intact]",
    "pass": "content forwarded byte for byte: a bare LF stays bare [unsafe]",
    "alter-body": "one body character changed [body-changed]",
    "drop": "250 to the client, nothing forwarded [lost]",
    "twice": "every message forwarded twice [duplicated]",
    "fold": "body lines over 78 octets folded at a blank or at 76 [lines-folded]",
    "strip-8bit": "the high bit of every octet cleared [body-changed]",
    "add-header": "X-Relay-Note: added after the trace field [headers-added]",
    "bounce": "a 5xx from the next hop becomes an RFC 3464 DSN to the sender",
    "no-unstuff": "dot-stuffing not undone on receipt: '..x' arrives [DATA-01]",
    "add-crlf": "an extra CRLF after the last line [DATA-07]",
    "no-trace": "no Received: field of its own [DATA-08]",
    "lower-rcpt": "recipients forwarded in lower case [ADDR-04]",
    "cut-nul": "the content cut at its first NUL [DATA-11]",
    "deliver-partial": "a client gone during DATA: what came is forwarded [CONN-05]",
    "route-hack": "local%dom@here and dom!local@here relayed to local@dom [RELAY-02]",
    "deliver-on-quit": "QUIT inside a transaction delivers it, empty [TXN-11]",
}

_ids = itertools.count(1)
_ids_lock = threading.Lock()


def next_id():
    with _ids_lock:
        return next(_ids)


def log(text):
    sys.stderr.write("relay: %s\n" % text)
    sys.stderr.flush()


def rfc5322_date():
    return email.utils.format_datetime(datetime.datetime.now(datetime.timezone.utc))


# ---- I/O: a strict CRLF reader over a socket -----------------------------


class Closed(Exception):
    """The peer hung up, timed out, or sent more than a limit allows."""


class Reader:
    """Reads CRLF-terminated lines and CRLF.CRLF-terminated data from a
    socket whose timeout is already set; bare CR and LF are plain bytes."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self):
        try:
            chunk = self.sock.recv(65536)
        except (socket.timeout, OSError) as e:
            raise Closed(str(e) or "timeout")
        if not chunk:
            raise Closed("connection closed")
        self.buf += chunk

    def line(self):
        """One line without its CRLF."""
        while b"\r\n" not in self.buf:
            if len(self.buf) > LINE_MAX:
                raise Closed("line too long")
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def data(self):
        """The content up to CRLF.CRLF (its last CRLF kept), unstuffed;
        the CRLF that ended the DATA command counts as a line start."""
        end = b"\r\n.\r\n"
        start = 0  # where the search resumes: octets before it were searched
        while True:
            at = (b"\r\n" + self.buf).find(end, start)
            if at >= 0:
                break
            if len(self.buf) > SIZE_MAX + 1024:
                raise Closed("message too big")
            start = max(0, len(self.buf) + 2 - len(end) + 1)
            self._fill()
        raw = self.buf[: at]
        self.buf = self.buf[at + 3 :]
        return unstuff(raw)


def stuff(content):
    """A dot at the start of a line (after CRLF, or first) doubled."""
    return (b"\r\n" + content).replace(b"\r\n.", b"\r\n..")[2:]


def unstuff(raw):
    """stuff undone: a dot at the start of a line (after CRLF, or first)
    dropped."""
    return (b"\r\n" + raw).replace(b"\r\n.", b"\r\n")[2:]


def dot_stuff(content):
    """content (ending in CRLF, or empty) ready to send after DATA, the
    final .CRLF included."""
    return stuff(content) + b".\r\n"


# ---- content: what each mode does to a message ----------------------------


def split_header(content):
    """(header section with its CRLF, rest): the rest starts with the
    empty line; no empty line: all header."""
    at = content.find(b"\r\n\r\n")
    if at < 0:
        return content, b""
    return content[: at + 2], content[at + 2 :]


def normalize_line_ends(content):
    """normalize: every bare LF and bare CR becomes CRLF."""
    return re.sub(rb"\r\n|\r|\n", b"\r\n", content)


def strip_8bit(content):
    """strip-8bit: a 7-bit-only hop mangling 8-bit mail."""
    return bytes(b & 0x7F for b in content)


def fold_line(line, width=76, limit=78):
    """line (no CRLF) cut into pieces of at most `limit` octets: after the
    last blank within `width` octets, else at `width`; no octet dropped."""
    pieces = []
    while len(line) > limit:
        cut = max(line.rfind(b" ", 0, width), line.rfind(b"\t", 0, width)) + 1
        if cut <= 0:
            cut = width
        pieces.append(line[:cut])
        line = line[cut:]
    pieces.append(line)
    return b"\r\n".join(pieces)


def fold_body(content):
    """fold: body lines over 78 octets folded (only CRLF is inserted)."""
    header, body = split_header(content)
    lines = body.split(b"\r\n")
    return header + b"\r\n".join(fold_line(x) for x in lines)


def alter_body(content):
    """alter-body: the first letter or digit of the body replaced."""
    header, body = split_header(content)
    m = re.search(rb"[A-Za-z0-9]", body)
    if not m:
        return header + (body or b"\r\n") + b"X\r\n"
    new = b"Y" if m.group() == b"X" else b"X"
    return header + body[: m.start()] + new + body[m.end() :]


def transform(content, modes):
    """The content as this relay forwards it, before the trace field."""
    if "cut-nul" in modes and b"\0" in content:
        content = content[: content.index(b"\0")] + b"\r\n"
    if "pass" not in modes:
        content = normalize_line_ends(content)
    if "no-unstuff" in modes:  # as if the stuffed lines had been kept
        content = stuff(content)
    if "add-crlf" in modes:
        content += b"\r\n"
    if "strip-8bit" in modes:
        content = strip_8bit(content)
    if "fold" in modes:
        content = fold_body(content)
    if "alter-body" in modes:
        content = alter_body(content)
    return content


def route_hack(rcpt):
    """route-hack: the old %-hack and bang-path routing, obeyed."""
    local, at, _ = rcpt.rpartition("@")
    if at and "%" in local and not local.startswith('"'):
        user, _, dom = local.rpartition("%")
        return "%s@%s" % (user, dom)
    if at and "!" in local and not local.startswith('"'):
        dom, _, user = local.partition("!")
        return "%s@%s" % (user, dom)
    return rcpt


def trace_fields(helo, addr, msg_id, modes):
    """The Received: field (RFC 5321 4.4) and, with add-header, the note."""
    out = b"Received: from %s ([%s]) by %s with ESMTP id %d; %s\r\n" % (
        helo.encode("utf-8", "replace"), addr.encode(), HOSTNAME.encode(),
        msg_id, rfc5322_date().encode())
    if "no-trace" in modes:
        out = b""
    if "add-header" in modes:
        out += b"X-Relay-Note: added\r\n"
    return out


# ---- the client side: one transaction with the next hop ---------------------


class Reply:
    def __init__(self, code, lines):
        self.code = code
        self.lines = lines

    def text(self):
        return " ".join(self.lines)

    def __str__(self):
        return self.text()


class NextHop:
    """One SMTP client session with the next hop."""

    def __init__(self, addr, timeout):
        self.sock = socket.create_connection(addr, timeout=timeout)
        self.reader = Reader(self.sock)
        self.ext = set()

    def reply(self):
        lines = []
        while len(lines) < REPLY_LINES_MAX:
            line = self.reader.line().decode("utf-8", "replace")
            if len(line) < 3 or not line[:3].isdigit():
                raise Closed("malformed reply: %r" % line)
            lines.append(line)
            if len(line) == 3 or line[3] == " ":
                return Reply(int(line[:3]), lines)
        raise Closed("reply too long")

    def cmd(self, line):
        self.sock.sendall(line.encode("utf-8") + b"\r\n")
        return self.reply()

    def hello(self):
        """Greeting and EHLO; the keywords the hop offers go to self.ext."""
        greet = self.reply()
        if greet.code != 220:
            return greet
        r = self.cmd("EHLO " + HOSTNAME)
        for line in r.lines[1:]:
            self.ext.add(line[4:].split(" ")[0].upper())
        return r

    def close(self):
        try:
            self.sock.sendall(b"QUIT\r\n")
            self.reply()
        except (Closed, OSError):
            pass
        self.sock.close()


def mail_params(params, ext):
    """The inbound MAIL parameters the next hop also offers."""
    keep = []
    for p in params:
        key = p.split("=")[0].upper()
        if (key == "BODY" and "8BITMIME" in ext) or (key == "SMTPUTF8" and key in ext):
            keep.append(p)
    return (" " + " ".join(keep)) if keep else ""


def send_once(hop_addr, timeout, sender, params, rcpts, content):
    """One transaction with the next hop. Returns (status, refused):
    status is None (delivered to the recipients not refused, or all
    refused with 5xx) or a Reply/str saying why the whole message must
    be deferred (a 4xx anywhere, also for one recipient: then nothing is
    sent, so a retry delivers no duplicates); refused lists (recipient,
    Reply) of permanent refusals."""
    try:
        hop = NextHop(hop_addr, timeout)
    except OSError as e:
        return "next hop unreachable: %s" % e, []
    try:
        return transaction(hop, sender, params, rcpts, content)
    except (Closed, OSError) as e:
        return "next hop: %s" % e, []
    finally:
        hop.close()


def transaction(hop, sender, params, rcpts, content):
    r = hop.hello()
    if r.code != 250:
        return r, []
    r = hop.cmd("MAIL FROM:<%s>%s" % (sender, mail_params(params, hop.ext)))
    if r.code >= 500:
        return None, [(x, r) for x in rcpts]
    if r.code != 250:
        return r, []
    accepted, refused = [], []
    for rcpt in rcpts:
        r = hop.cmd("RCPT TO:<%s>" % rcpt)
        if r.code in (250, 251):
            accepted.append(rcpt)
        elif r.code >= 500:
            refused.append((rcpt, r))
        else:
            return r, []
    if not accepted:
        return None, refused
    r = hop.cmd("DATA")
    if r.code != 354:
        return r, refused
    hop.sock.sendall(dot_stuff(content))
    r = hop.reply()
    if r.code >= 500:
        return None, refused + [(x, r) for x in accepted]
    return (None if r.code == 250 else r), refused


# ---- bounce: the RFC 3464 delivery status notification ----------------------


def enhanced_status(reply):
    """The refusal's enhanced status code (RFC 3463), or 5.0.0."""
    m = re.match(r"\d{3}[ -](5\.\d{1,3}\.\d{1,3})\b", reply.lines[-1])
    return m.group(1) if m else "5.0.0"


def dsn(sender, refused, header, msg_id, arrival):
    """The DSN for the refused recipients (RFC 3464, report RFC 6522):
    a text/plain part, a message/delivery-status part and the original
    header section as text/rfc822-headers."""
    boundary = "relay-dsn-%d" % msg_id
    per_rcpt = "".join(
        "\r\nFinal-Recipient: rfc822; %s\r\nAction: failed\r\nStatus: %s\r\n"
        "Diagnostic-Code: smtp; %s\r\n" % (rcpt, enhanced_status(r), r.text())
        for rcpt, r in refused)
    text = (
        "From: Mail Delivery System <MAILER-DAEMON@%(host)s>\r\n"
        "To: <%(sender)s>\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Date: %(date)s\r\n"
        "Message-ID: <%(id)d.dsn@%(host)s>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status;\r\n"
        "\tboundary=\"%(b)s\"\r\n"
        "\r\n"
        "--%(b)s\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "\r\n"
        "The next hop refused the message for %(n)d recipient(s).\r\n"
        "\r\n"
        "--%(b)s\r\n"
        "Content-Type: message/delivery-status\r\n"
        "\r\n"
        "Reporting-MTA: dns; %(host)s\r\n"
        "Arrival-Date: %(arrival)s\r\n"
        "%(per_rcpt)s"
        "\r\n"
        "--%(b)s\r\n"
        "Content-Type: text/rfc822-headers\r\n"
        "\r\n") % {
            "host": HOSTNAME, "sender": sender, "date": rfc5322_date(),
            "id": msg_id, "b": boundary, "n": len(refused), "arrival": arrival,
            "per_rcpt": per_rcpt}
    return text.encode() + header + ("\r\n--%s--\r\n" % boundary).encode()


# ---- the server side: one inbound session ------------------------------------


class Envelope:
    def __init__(self):
        self.sender = None
        self.params = []
        self.rcpts = []


def parse_path(arg, prefix):
    """'FROM:<a@b> X=Y' -> ('a@b', ['X=Y']); None when malformed."""
    m = re.match(r"(?i)%s:\s*<([^<>\s]*)>((?:\s+\S+)*)\s*$" % prefix, arg)
    if not m:
        return None
    return m.group(1), m.group(2).split()


def check_mail_params(params):
    """None if every MAIL parameter is one this relay offers, else a reply."""
    for p in params:
        key, _, value = p.partition("=")
        key = key.upper()
        if key == "BODY" and value.upper() in ("7BIT", "8BITMIME"):
            continue
        if key == "SIZE" and value.isdigit():
            if int(value) > SIZE_MAX:
                return "552 5.3.4 Message size exceeds fixed limit"
            continue
        if key == "SMTPUTF8" and not value:
            continue
        return "555 5.5.4 Unsupported option: %s" % p
    return None


class Session(socketserver.BaseRequestHandler):
    """One inbound SMTP session; self.server carries the settings."""

    def setup(self):
        self.request.settimeout(self.server.timeout_s)
        self.reader = Reader(self.request)
        self.helo = None
        self.env = Envelope()
        self.done = False
        self.authed = False
        log("session from [%s]" % self.client_address[0])

    def send(self, text):
        self.request.sendall(text.encode("utf-8") + b"\r\n")

    def handle(self):
        try:
            self.send("220 %s ESMTP smtpsuite test relay" % HOSTNAME)
            while not self.done:
                self.command(self.reader.line())
        except Closed as e:
            if str(e) == "line too long":
                self.try_send("500 5.5.2 Error: line too long")
            elif "timed out" in str(e) or str(e) == "timeout":
                self.try_send("421 4.4.2 %s Error: timeout exceeded" % HOSTNAME)
        except OSError:
            pass

    def try_send(self, text):
        try:
            self.send(text)
        except OSError:
            pass

    def command(self, raw):
        line = raw.decode("utf-8", "replace")
        verb, _, arg = line.partition(" ")
        handler = self.VERBS.get(verb.upper())
        if handler is None:
            self.send("500 5.5.2 Error: command not recognized")
            return
        handler(self, arg)

    def do_ehlo(self, arg):
        if not arg.strip():
            self.send("501 5.5.4 Syntax: EHLO hostname")
            return
        self.helo, self.env = arg.strip(), Envelope()
        auth = "250-AUTH PLAIN\r\n" if self.server.auth else ""
        self.send("250-%s\r\n250-PIPELINING\r\n250-SIZE %d\r\n250-8BITMIME\r\n"
                  "%s250 SMTPUTF8" % (HOSTNAME, SIZE_MAX, auth))

    def do_auth(self, arg):
        """AUTH PLAIN (RFC 4616) with --auth's user and password only."""
        mech, _, initial = arg.strip().partition(" ")
        if not self.server.auth or mech.upper() != "PLAIN":
            return self.send("504 5.5.4 Unrecognized authentication type")
        if self.authed:
            return self.send("503 5.5.1 Error: already authenticated")
        if not initial:
            self.send("334 ")
            initial = self.reader.line().decode("ascii", "replace")
        try:
            _, user, password = base64.b64decode(initial, validate=True).split(b"\0")
        except ValueError:
            return self.send("501 5.5.2 Cannot decode response")
        if (user.decode("utf-8", "replace"), password.decode("utf-8", "replace")) != self.server.auth:
            return self.send("535 5.7.8 Error: authentication failed")
        self.authed = True
        self.send("235 2.7.0 Authentication successful")

    def do_helo(self, arg):
        if not arg.strip():
            self.send("501 5.5.4 Syntax: HELO hostname")
            return
        self.helo, self.env = arg.strip(), Envelope()
        self.send("250 %s" % HOSTNAME)

    def do_mail(self, arg):
        if self.helo is None:
            return self.send("503 5.5.1 Error: send HELO/EHLO first")
        if self.env.sender is not None:
            return self.send("503 5.5.1 Error: nested MAIL command")
        path = parse_path(arg, "FROM")
        if path is None:
            return self.send("501 5.5.4 Syntax: MAIL FROM:<address>")
        bad = check_mail_params(path[1])
        if bad:
            return self.send(bad)
        self.env.sender, self.env.params = path
        self.send("250 2.1.0 Ok")

    def do_rcpt(self, arg):
        if self.env.sender is None:
            return self.send("503 5.5.1 Error: need MAIL command")
        path = parse_path(arg, "TO")
        if path is None or not path[0]:
            return self.send("501 5.5.4 Syntax: RCPT TO:<address>")
        if path[1]:
            return self.send("555 5.5.4 Unsupported option: %s" % path[1][0])
        domain = path[0].rpartition("@")[2].lower()
        if self.server.auth and not self.authed and domain != self.server.local_domain:
            return self.send("530 5.7.0 Authentication required")
        if len(self.env.rcpts) >= RCPT_MAX:
            return self.send("452 4.5.3 Error: too many recipients")
        self.env.rcpts.append(path[0])
        self.send("250 2.1.5 Ok")

    def do_data(self, arg):
        if not self.env.rcpts:
            return self.send("503 5.5.1 Error: need RCPT command")
        self.send("354 End data with <CR><LF>.<CR><LF>")
        try:
            content = self.reader.data()
        except Closed:
            if "deliver-partial" in self.server.modes and self.reader.buf:
                partial = unstuff(self.reader.buf)
                if not partial.endswith(b"\r\n"):
                    partial += b"\r\n"
                self.server.relay(self, self.env, partial)
            raise
        if len(content) > SIZE_MAX:
            self.send("552 5.3.4 Message size exceeds fixed limit")
        else:
            self.send(self.server.relay(self, self.env, content))
        self.env = Envelope()

    def do_rset(self, arg):
        self.env = Envelope()
        self.send("250 2.0.0 Ok")

    def do_noop(self, arg):
        self.send("250 2.0.0 Ok")

    def do_quit(self, arg):
        if "deliver-on-quit" in self.server.modes and self.env.rcpts:
            self.server.relay(self, self.env, b"")
        self.send("221 2.0.0 Bye")
        self.done = True

    VERBS = {"EHLO": do_ehlo, "HELO": do_helo, "AUTH": do_auth, "MAIL": do_mail,
             "RCPT": do_rcpt,
             "DATA": do_data, "RSET": do_rset, "NOOP": do_noop, "QUIT": do_quit}


# ---- the relay: what happens between the end of data and the reply ----------


class Relay(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, listen, next_hop, modes, timeout_s, auth=None,
                 local_domain="sink.test"):
        super().__init__(listen, Session)
        self.next_hop = next_hop
        self.modes = modes
        self.timeout_s = timeout_s
        self.auth = auth  # (user, password), or None: no AUTH, relay for all
        self.local_domain = local_domain

    def relay(self, session, env, content):
        """Forwards one message; the reply to the client's end of data."""
        msg_id = next_id()
        arrival = rfc5322_date()
        addr = session.client_address[0]
        out = trace_fields(session.helo, addr, msg_id, self.modes)
        out += transform(content, self.modes)
        what = "from <%s> to %s, %d octets" % (env.sender, ",".join(env.rcpts), len(content))
        if "drop" in self.modes:
            log("%d %s: dropped (mode drop)" % (msg_id, what))
            return "250 2.0.0 Ok: queued as %d" % msg_id
        rcpts = env.rcpts
        if "lower-rcpt" in self.modes:
            rcpts = [r.lower() for r in rcpts]
        if "route-hack" in self.modes:
            rcpts = [route_hack(r) for r in rcpts]
        times = 2 if "twice" in self.modes else 1
        for _ in range(times):
            status, refused = send_once(self.next_hop, self.timeout_s, env.sender,
                                        env.params, rcpts, out)
            if status is not None:
                log("%d %s: deferred: %s" % (msg_id, what, status))
                return "451 4.4.1 Error: next hop: %s" % str(status)[:200]
        note = "".join("; refused <%s>: %s" % (x, r) for x, r in refused)
        note += self.refusals(msg_id, env, out, refused, arrival)
        log("%d %s: forwarded x%d%s" % (msg_id, what, times, note))
        return "250 2.0.0 Ok: queued as %d" % msg_id

    def refusals(self, msg_id, env, out, refused, arrival):
        """bounce: a DSN to the sender; otherwise the refused are dropped.
        No DSN for a null sender (RFC 5321 6.1: never bounce a bounce).
        Returns what to add to the message's log line."""
        if not refused or "bounce" not in self.modes or not env.sender:
            return ""
        header, _ = split_header(out)
        report = dsn(env.sender, refused, header, msg_id, arrival)
        status, bad = send_once(self.next_hop, self.timeout_s, "", [], [env.sender], report)
        if status is not None or bad:
            return "; DSN to <%s> not delivered: %s" % (env.sender, status or bad[0][1])
        return "; DSN to <%s> sent" % env.sender


# ---- the command line ---------------------------------------------------------


def host_port(text):
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError("want ADDR:PORT, got %r" % text)
    return host or "127.0.0.1", int(port)


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 epilog="modes: " + "; ".join(
                                     "%s: %s" % kv for kv in MODES.items()))
    ap.add_argument("--listen", type=host_port, default=("127.0.0.1", 0))
    ap.add_argument("--next", type=host_port, required=True)
    ap.add_argument("--mode", action="append", choices=sorted(MODES), default=[])
    ap.add_argument("--port-file")
    ap.add_argument("--timeout", type=float, default=30.0,
                    help="seconds of silence before a session ends, and the next hop's\n"
                         "limit per reply (default 30; cases wait for arrivals)")
    ap.add_argument("--auth", metavar="USER:PASS",
                    help="offer AUTH PLAIN for this user; then only mail for "
                         "--local-domain is taken without it (530)")
    ap.add_argument("--local-domain", default="sink.test",
                    help="the domain taken without AUTH (default sink.test)")
    a = ap.parse_args(argv)
    if a.auth and ":" not in a.auth:
        ap.error("--auth wants USER:PASS")
    if "pass" in a.mode and "normalize" in a.mode:
        ap.error("--mode pass and --mode normalize exclude each other")
    return a


def announce(port, port_file):
    """The bound port: on stdout's first line, or in port_file (whole or
    not at all: written beside it, then renamed)."""
    if port_file:
        tmp = port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, port_file)
    else:
        print(port, flush=True)


def main(argv):
    a = parse_args(argv)
    auth = tuple(a.auth.split(":", 1)) if a.auth else None
    server = Relay(a.listen, a.next, set(a.mode), a.timeout, auth,
                   a.local_domain.lower())
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    worker = threading.Thread(target=server.serve_forever, args=(0.2,), daemon=True)
    worker.start()
    announce(server.server_address[1], a.port_file)
    log("listening on %s:%d, next hop %s:%d, modes %s" % (
        server.server_address + a.next + (",".join(sorted(a.mode)) or "normalize",)))
    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
