"""Raw SMTP dialogues against a running sink, for the end-to-end tests.

Written against RFC 5321's reply format only (no smtpsuite code): it
sends exact bytes and checks each complete reply with a regular
expression. Usage:
  sink_raw.py --list-presets            the fault presets covered here
  sink_raw.py --preset NAME --port P    the dialogue showing that fault
  sink_raw.py --profile NAME --port P   the dialogue of a profile
Exit 0 if every expectation held, 1 with a message otherwise."""
import argparse
import re
import socket
import sys
import time

EHLO = b"EHLO client.test\r\n"
TXN = b"MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\n"


class Fail(Exception):
    pass


class Session:
    def __init__(self, port, host="127.0.0.1", timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.log = []

    def line(self):
        while b"\r\n" not in self.buf:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                raise Fail("timeout waiting for a reply; got %r" % self.buf)
            if not data:
                raise Fail("connection closed; pending %r" % self.buf)
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("utf-8", "replace")

    def reply(self):
        """One complete reply (RFC 5321 4.2.1), lines joined by '\\n'."""
        lines = [self.line()]
        while re.match(r"^\d{3}-", lines[-1]):
            lines.append(self.line())
        code = lines[0][:3]
        if not re.match(r"^[2-5]\d\d$", code) or any(
                not l.startswith(code) for l in lines):
            raise Fail("malformed reply %r" % lines)
        text = "\n".join(lines)
        self.log.append("S: " + text.replace("\n", " | "))
        return text

    def send(self, data):
        self.log.append("C: %r" % data)
        self.sock.sendall(data)

    def expect(self, pattern):
        got = self.reply()
        if not re.search(pattern, got, re.S):
            raise Fail("want /%s/, got %r" % (pattern, got))
        return got

    def expect_close(self, within=5.0):
        self.sock.settimeout(within)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise Fail("the server did not close within %ss" % within)
        except ConnectionResetError:
            return
        if data:
            raise Fail("want a close, got %r" % data)

    def expect_silence(self, secs):
        self.sock.settimeout(secs)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            self.sock.settimeout(10.0)
            return
        raise Fail("want silence for %ss, got %r" % (secs, data))


# A dialogue: a list of steps, ("send", bytes), ("expect", regex),
# ("close",), ("silence", secs), ("elapsed>=", secs since connect).
def S(b):
    return ("send", b)


def E(p):
    return ("expect", p)


OPEN = [E(r"^220 "), S(EHLO), E(r"^250-")]

PRESETS = {
    "rset-keeps-envelope": OPEN + [S(TXN), E("^250"), E("^250"),
                                   S(b"RSET\r\nRCPT TO:<c@y.test>\r\n"),
                                   E("^250"), E(r"^250 2\.1\.5")],
    "rcpt-before-mail": OPEN + [S(b"RCPT TO:<b@y.test>\r\n"), E("^250")],
    "data-before-rcpt": OPEN + [S(b"DATA\r\n"), E("^354")],
    "nested-mail-resets": OPEN + [S(TXN), E("^250"), E("^250"),
                                  S(b"MAIL FROM:<c@x.test>\r\nDATA\r\n"),
                                  E("^250"), E(r"^503 .*need RCPT")],
    "mail-before-helo": [E("^220"), S(b"MAIL FROM:<a@x.test>\r\n"),
                         E("^250")],
    "ehlo-keeps-transaction": OPEN + [S(TXN), E("^250"), E("^250"), S(EHLO),
                                      E("^250-"), S(b"DATA\r\n"), E("^354")],
    "helo-unchecked": [E("^220"), S(b"EHLO\r\n"), E("^250")],
    "helo-multiline": [E("^220"), S(b"HELO client.test\r\n"),
                       E(r"^250-localhost\n250 PIPELINING$")],
    "unknown-502": OPEN + [S(b"FOOBAR\r\n"), E(r"^502 5\.5\.2")],
    "unknown-accepted": OPEN + [S(b"FOOBAR\r\n"), E(r"^250 ")],
    "unknown-closes": OPEN + [S(b"FOOBAR\r\n"), E("^500"), ("close",)],
    "args-accepted": OPEN + [S(b"RSET now\r\n"), E("^250")],
    "noop-args-rejected": OPEN + [S(b"NOOP hello\r\n"), E("^501")],
    "addr-unchecked": OPEN + [S(b"MAIL FROM:<a@x.test\r\n"), E("^250")],
    "null-sender-rejected": OPEN + [S(b"MAIL FROM:<>\r\n"), E("^550")],
    "postmaster-rejected": OPEN + [S(b"MAIL FROM:<>\r\n"), E("^250"),
                                   S(b"RCPT TO:<Postmaster>\r\n"),
                                   E("^550")],
    "vrfy-unrecognized": OPEN + [S(b"VRFY postmaster\r\n"), E("^500")],
    "expn-unadvertised": OPEN + [S(b"EXPN postmaster\r\n"), E("^250")],
    "extra-reply": OPEN + [S(b"NOOP\r\n"), E("^250"), E("^250")],
    "no-enhanced-codes": OPEN + [S(b"NOOP\r\n"), E(r"^250 Ok$")],
    "quit-no-close": OPEN + [S(b"QUIT\r\n"), E("^221"), S(b"NOOP\r\n"),
                             E("^250")],
    "timeout-silent": [E("^220"), ("close",)],
    "timeout-no-close": [E("^220"), E(r"^421 4\.4\.2"), S(b"NOOP\r\n"),
                         E(r"^250")],
    "slow-greeting": [E("^220"), ("elapsed>=", 1.8)],
    "greeting-close": [("close",)],
    "smuggle-lf": OPEN + [S(TXN), E("^250"), E("^250"),
                          S(b"DATA\r\n"), E("^354"),
                          S(b"body\n.\nNOOP\r\n"), E(r"^250 2\.0\.0 Ok: queued"),
                          E(r"^250 2\.0\.0 Ok$")],
    "smuggle-cr": OPEN + [S(TXN), E("^250"), E("^250"),
                          S(b"DATA\r\n"), E("^354"),
                          S(b"body\r.\rNOOP\r\n"), E(r"^250 2\.0\.0 Ok: queued"),
                          E(r"^250 2\.0\.0 Ok$")],
    "bare-lf-line-end": [E("^220"), S(b"NOOP\n"), E("^250")],
    "bare-lf-reject": [E("^220"), S(b"NOOP\n"), E(r"^550 5\.5\.2"),
                       ("close",)],
    "no-dot-unstuffing": OPEN + [S(TXN), E("^250"), E("^250"),
                                 S(b"DATA\r\n"), E("^354"),
                                 S(b"..\r\n.\r\n"), E("^250")],
    "rcpt-limit-50": OPEN + [S(b"MAIL FROM:<a@x.test>\r\n" +
                               b"RCPT TO:<b@y.test>\r\n" * 51), E("^250")] +
                     [E("^250")] * 50 + [E(r"^452 4\.5\.3")],
    "short-lines": OPEN + [S(b"NOOP " + b"x" * 300 + b"\r\n"),
                           E(r"^500 5\.5\.2 .*too long")],
    "size-unchecked-at-mail": OPEN + [
        S(b"MAIL FROM:<a@x.test> SIZE=99999999999\r\n"), E("^250")],
    "size-unchecked-at-eod": OPEN + [S(TXN), E("^250"), E("^250"),
                                     S(b"DATA\r\n"), E("^354"),
                                     S(b"x" * 2000 + b"\r\n.\r\n"),
                                     E(r"^250 2\.0\.0 Ok: queued")],
    "body-unchecked": OPEN + [S(b"MAIL FROM:<a@x.test> BODY=FOO\r\n"),
                              E("^250")],
    "dsn-unchecked": OPEN + [S(b"MAIL FROM:<a@x.test>\r\n"), E("^250"),
                             S(b"RCPT TO:<b@y.test> NOTIFY=NEVER,SUCCESS\r\n"),
                             E("^250")],
    "data-after-bdat": OPEN + [S(TXN), E("^250"), E("^250"),
                               S(b"BDAT 3\r\nabcDATA\r\n"), E("^250"),
                               E("^354")],
    "bdat-unimplemented": OPEN + [S(TXN), E("^250"), E("^250"),
                                  S(b"BDAT 3 LAST\r\nabc"), E("^502"),
                                  S(b"NOOP\r\n"), E("^250")],
    "lmtp-data-554": OPEN + [S(b"MAIL FROM:<a@x.test>\r\nDATA\r\n"),
                             E("^250"), E("^554")],
    "no-pipelining": [E("^220"), S(EHLO), E(r"^250-(?!.*PIPELINING)")],
    "no-chunking": [E("^220"), S(EHLO), E(r"^250-(?!.*CHUNKING)")],
    "no-size": [E("^220"), S(EHLO), E(r"^250-(?!.*SIZE)")],
    "no-8bitmime": [E("^220"), S(EHLO), E(r"^250-(?!.*8BITMIME)")],
    "no-smtputf8": [E("^220"), S(EHLO), E(r"^250-(?!.*SMTPUTF8)")],
    "no-dsn": [E("^220"), S(EHLO), E(r"^250-(?!.*DSN)")],
}

# Sink options some presets need to show their effect.
PRESET_ARGS = {
    "timeout-silent": ["--idle-timeout", "1s"],
    "timeout-no-close": ["--idle-timeout", "1s"],
    "size-unchecked-at-eod": ["--size-limit", "1000"],
}

PROFILES = {
    "mx": [E(r"^220 localhost ESMTP"), S(EHLO),
           E(r"^250-localhost\n(250-.*\n)*250[- ]PIPELINING.*CHUNKING$"),
           S(TXN + b"DATA\r\nx\r\n.\r\n"), E("^250"), E("^250"),
           E("^354"), E(r"^250 2\.0\.0 Ok: queued"),
           # CHUNKING (RFC 3030): exact octet counts, "." is data
           S(TXN + b"BDAT 8\r\n.\r\nab\r\n.BDAT 0 LAST\r\nQUIT\r\n"),
           E("^250"), E("^250"), E(r"^250 2\.0\.0 Ok: 8 octets"),
           E(r"^250 2\.0\.0 Ok: queued"), E("^221"), ("close",)],
    "submission": [E(r"^220 localhost ESMTP"), S(EHLO), E(r"^250-"),
                   S(TXN), E("^250"), E("^250")],
    "lmtp": [E(r"^220 localhost LMTP"), S(EHLO), E(r"^500 "),
             S(b"LHLO client.test\r\n"),
             E(r"PIPELINING.*ENHANCEDSTATUSCODES"),
             S(b"MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\n"
               b"RCPT TO:<nouser@y.test>\r\nRCPT TO:<c@y.test>\r\n"
               b"DATA\r\nx\r\n.\r\n"),
             E("^250"), E("^250"), E("^550"), E("^250"), E("^354"),
             E(r"^250 2\.1\.5 <b@y\.test>"), E(r"^250 2\.1\.5 <c@y\.test>"),
             S(b"QUIT\r\n"), E("^221")],
    # with --local-domain y.test: relaying refused (RFC 5321 7.9)
    "mx-relay": OPEN + [S(b"MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\n"
                          b"RCPT TO:<v@elsewhere.test>\r\n"
                          b"RCPT TO:<@y.test:v@elsewhere.test>\r\n"),
                        E("^250"), E("^250"), E(r"^550 5\.7\.1 .*Relay"),
                        E(r"^550 5\.7\.1")],
    # with --error-limit 20: the 20th error is followed by 421 and a close
    "mx-error-limit": OPEN + [S(b"FOOBAR\r\n" * 25)] + [E("^500")] * 20 +
                      [E(r"^421 4\.7\.0 .*too many errors"), ("close",)],
    "submission-relay": OPEN + [S(b"MAIL FROM:<a@x.test>\r\n"
                                  b"RCPT TO:<v@elsewhere.test>\r\n"),
                                E("^250"), E(r"^530 5\.7\.0")],
    "554-greeting": [E(r"^554 "), S(EHLO), E(r"^503"),
                     S(b"MAIL FROM:<>\r\n"), E(r"^503 5\.5\.1"),
                     S(b"QUIT\r\n"), E("^221"), ("close",)],
}


def run(port, steps):
    start = time.monotonic()
    s = Session(port)
    try:
        for st in steps:
            if st[0] == "send":
                s.send(st[1])
            elif st[0] == "expect":
                s.expect(st[1])
            elif st[0] == "close":
                s.expect_close()
            elif st[0] == "silence":
                s.expect_silence(st[1])
            elif st[0] == "elapsed>=":
                if time.monotonic() - start < st[1]:
                    raise Fail("came after %.2fs, want >= %ss" %
                               (time.monotonic() - start, st[1]))
    except Fail as e:
        print("\n".join(s.log), file=sys.stderr)
        raise
    finally:
        s.sock.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--list-presets", action="store_true")
    ap.add_argument("--preset-args")
    ap.add_argument("--preset")
    ap.add_argument("--profile")
    ap.add_argument("--port", type=int)
    a = ap.parse_args()
    if a.list_presets:
        print("\n".join(sorted(PRESETS)))
        return 0
    if a.preset_args:
        print(" ".join(PRESET_ARGS.get(a.preset_args, [])))
        return 0
    steps = PRESETS[a.preset] if a.preset else PROFILES[a.profile]
    try:
        run(a.port, steps)
    except (Fail, OSError) as e:
        print("FAIL %s: %s" % (a.preset or a.profile, e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
