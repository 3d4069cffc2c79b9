"""Raw SMTP dialogues against a running sink, for the end-to-end tests.

Written against RFC 5321's reply format only (no smtpsuite code): it
sends exact bytes and checks each complete reply with a regular
expression. TLS is Python's ssl module, AUTH payloads are computed here
(SCRAM after RFC 5802). Usage:
  sink_raw.py --list-presets            the fault presets covered here
  sink_raw.py --preset NAME --port P    the dialogue showing that fault
  sink_raw.py --profile NAME --port P   the dialogue of a profile
  sink_raw.py --preset-args NAME        sink options the preset needs
  sink_raw.py --profile-args NAME       sink options the profile needs
  --served FILE  the sink's certificate (--tls-cert-out), trusted by TLS
  --ca FILE      the test CA (tests/servers/lib.sh srv_certs)
Exit 0 if every expectation held, 1 with a message otherwise."""
import argparse
import base64
import hashlib
import hmac
import os
import re
import socket
import ssl
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

    def tls(self, opts, files):
        """Runs a TLS handshake on the socket (after STARTTLS's 220, or
        at once for implicit TLS). opts: trust "served" (the sink's own
        certificate), "ca" (the test CA) or "none"; host for SNI and the
        name check; old: allow TLS 1.0 at security level 0; fail: a regex
        the handshake error must match; version: the protocol wanted."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        trust = opts.get("trust", "served")
        if trust == "none":
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        else:
            ctx.load_verify_locations(files[trust])
        if opts.get("old"):
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        if self.buf:
            raise Fail("plaintext before the handshake: %r" % self.buf)
        self.log.append("* TLS handshake (%s)" % opts)
        try:
            self.sock = ctx.wrap_socket(self.sock, server_hostname=opts.get(
                "host", "localhost"))
        except (ssl.SSLError, OSError) as e:
            if opts.get("fail") and re.search(opts["fail"], str(e)):
                self.log.append("* handshake failed as expected: %s" % e)
                return
            raise Fail("handshake: %s" % e)
        if opts.get("fail"):
            raise Fail("the handshake succeeded (%s), want /%s/" %
                       (self.sock.version(), opts["fail"]))
        if opts.get("version") and self.sock.version() != opts["version"]:
            raise Fail("TLS %s, want %s" % (self.sock.version(),
                                            opts["version"]))
        self.log.append("* %s %s" % (self.sock.version(),
                                     self.sock.cipher()[0]))

    def scram(self, mech, user, password, sig_ok):
        """A SCRAM exchange (RFC 5802): proof from the password; the
        server signature must match when sig_ok, and must not otherwise
        (then the exchange is cancelled with "*", RFC 4954 4)."""
        h = hashlib.sha256 if mech.endswith("256") else hashlib.sha1
        cnonce = base64.b64encode(os.urandom(18)).decode()
        bare = "n=%s,r=%s" % (user, cnonce)
        self.send(("AUTH %s %s\r\n" % (mech, base64.b64encode(
            ("n,," + bare).encode()).decode())).encode())
        first = base64.b64decode(self.expect(r"^334 ")[4:]).decode()
        f = dict(kv.split("=", 1) for kv in first.split(","))
        if not f["r"].startswith(cnonce):
            raise Fail("server nonce %r" % f["r"])
        salted = hashlib.pbkdf2_hmac(h().name, password.encode(),
                                     base64.b64decode(f["s"]), int(f["i"]))
        ckey = hmac.new(salted, b"Client Key", h).digest()
        final = "c=biws,r=" + f["r"]
        msg = ",".join([bare, first, final]).encode()
        sig = hmac.new(h(ckey).digest(), msg, h).digest()
        proof = bytes(a ^ b for a, b in zip(ckey, sig))
        self.send((base64.b64encode((final + ",p=" + base64.b64encode(
            proof).decode()).encode()).decode() + "\r\n").encode())
        last = base64.b64decode(self.expect(r"^334 ")[4:]).decode()
        skey = hmac.new(salted, b"Server Key", h).digest()
        want = "v=" + base64.b64encode(hmac.new(skey, msg, h).digest()).decode()
        if (last == want) != sig_ok:
            raise Fail("server signature %r, want %s%r" %
                       (last, "" if sig_ok else "not ", want))
        self.send(b"\r\n" if sig_ok else b"*\r\n")

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


def T(**opts):
    """A TLS handshake step (see Session.tls)."""
    return ("tls", opts)


def b64(b):
    return base64.b64encode(b)


OPEN = [E(r"^220 "), S(EHLO), E(r"^250-")]
TLS_EHLO = [S(b"STARTTLS\r\n"), E("^220"), T(), S(EHLO), E(r"^250-")]
PLAIN = b"AUTH PLAIN " + b64(b"\0alice\0s3cret") + b"\r\n"
SUBMISSION = ["--profile", "submission", "--user", "alice:s3cret"]

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
    # TLS (RFC 3207, RFC 8314)
    "no-starttls": [E("^220"), S(EHLO), E(r"^250-(?!.*STARTTLS)"),
                    S(b"STARTTLS\r\n"), E(r"^502 5\.5\.1")],
    "tls-handshake-fail": OPEN + [S(b"STARTTLS\r\n"), E("^220"),
                                  T(fail=r"(?i)handshake.failure")],
    "tls-expired-cert": OPEN + [S(b"STARTTLS\r\n"), E("^220"),
                                T(fail=r"certificate has expired")],
    "tls-wrong-name-cert": OPEN + [S(b"STARTTLS\r\n"), E("^220"),
                                   T(fail=r"(?i)hostname mismatch")],
    "tls-self-signed-cert": OPEN + [S(b"STARTTLS\r\n"), E("^220"),
                                    T(trust="ca", fail=r"self.signed")],
    "tls-old-only": OPEN + [S(b"STARTTLS\r\n"), E("^220"),
                            T(fail=r"(?i)protocol|version|sigalg")],
    "starttls-after-tls": OPEN + [S(b"STARTTLS\r\n"), E("^220"), T(),
                                  S(EHLO), E(r"STARTTLS"),
                                  S(b"STARTTLS\r\n"), E(r"^554 5\.5\.1")],
    "starttls-keeps-session": OPEN + [S(b"MAIL FROM:<a@x.test>\r\n"),
                                      E("^250"), S(b"STARTTLS\r\n"),
                                      E("^220"), T(),
                                      S(b"RCPT TO:<b@y.test>\r\n"),
                                      E(r"^250 2\.1\.5")],
    # one write: STARTTLS and a NOOP; the vulnerable server answers the
    # NOOP over TLS though the client said nothing after the handshake
    "starttls-injection": OPEN + [S(b"STARTTLS\r\nNOOP\r\n"), E("^220"),
                                  T(), E(r"^250 2\.0\.0 Ok$")],
    # AUTH (RFC 4954), as alice:s3cret in the submission profile
    "auth-any-password": OPEN + TLS_EHLO + [
        S(b"AUTH PLAIN " + b64(b"\0alice\0wrong") + b"\r\n"),
        E(r"^235 2\.7\.0")],
    "auth-twice": OPEN + TLS_EHLO + [S(PLAIN), E("^235"), S(PLAIN),
                                     E(r"^235")],
    "auth-refuses-advertised": OPEN + TLS_EHLO + [
        S(b"AUTH CRAM-MD5\r\n"), E(r"^504 5\.5\.4")],
    "auth-plaintext-without-tls": [E("^220"), S(EHLO),
                                   E(r"AUTH PLAIN LOGIN"), S(PLAIN),
                                   E(r"^235 2\.7\.0")],
    "scram-bad-signature": OPEN + TLS_EHLO + [
        ("scram", "SCRAM-SHA-256", "alice", "s3cret", False),
        E(r"^501 ")],
}

# Sink options some presets need to show their effect.
PRESET_ARGS = {
    "timeout-silent": ["--idle-timeout", "1s"],
    "timeout-no-close": ["--idle-timeout", "1s"],
    "size-unchecked-at-eod": ["--size-limit", "1000"],
    "tls-self-signed-cert": ["--tls-cert", "{SRV_CERT}", "--tls-key",
                             "{SRV_KEY}"],
    "auth-any-password": SUBMISSION,
    "auth-twice": SUBMISSION,
    "auth-refuses-advertised": SUBMISSION,
    "auth-plaintext-without-tls": SUBMISSION,
    "scram-bad-signature": SUBMISSION,
}

# Sink options some profile dialogues need.
PROFILE_ARGS = {
    "submission": SUBMISSION,
    "submission-auth": SUBMISSION,
    "implicit-tls": ["--profile", "implicit-tls", "--user", "alice:s3cret"],
    "implicit-tls-relay": ["--profile", "implicit-tls", "--local-domain",
                           "y.test"],
    "tls-required": ["--profile", "tls-required"],
    "mx-starttls": ["--tls-cert", "{SRV_CERT}", "--tls-key", "{SRV_KEY}",
                    "--tls-client-cert", "request"],
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
    # RFC 6409 / RFC 4954: MAIL needs AUTH; plaintext mechanisms only
    # after STARTTLS (538); then everything is offered and accepted
    "submission": [E(r"^220 localhost ESMTP"), S(EHLO),
                   E(r"STARTTLS\n250-AUTH CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256\n"),
                   S(b"MAIL FROM:<a@x.test>\r\n"), E(r"^530 5\.7\.0"),
                   S(PLAIN), E(r"^538 5\.7\.11"),
                   S(b"AUTH CRAM-MD5\r\n*\r\n"), E("^334 "), E("^501"),
                   S(b"STARTTLS\r\n"), E(r"^220 2\.0\.0"), T(), S(EHLO),
                   E(r"250-AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256"
                     r" XOAUTH2 OAUTHBEARER\n"),
                   S(b"AUTH PLAIN " + b64(b"\0alice\0wrong") + b"\r\n"),
                   E(r"^535 5\.7\.8"), S(b"AUTH LOGIN\r\n"),
                   E(r"^334 VXNlcm5hbWU6$"), S(b64(b"alice") + b"\r\n"),
                   E(r"^334 UGFzc3dvcmQ6$"), S(b64(b"s3cret") + b"\r\n"),
                   E(r"^235 2\.7\.0"), S(PLAIN), E(r"^503 5\.5\.1"),
                   S(TXN), E("^250"), E("^250")],
    # every refusal of RFC 4954 4 and the SCRAM flow, over TLS
    "submission-auth": [E("^220"), S(EHLO), E("^250-")] + TLS_EHLO + [
        S(b"AUTH X-NO-SUCH-MECH\r\n"), E(r"^504 5\.5\.4"),
        S(b"AUTH PLAIN !!!notbase64!!!\r\n"), E(r"^501 5\.5\.2"),
        S(b"AUTH\r\n"), E(r"^501 5\.5\.4"),
        S(b"AUTH LOGIN\r\n" + b"A" * 17000 + b"\r\n"), E("^334 "),
        E(r"^500 5\.5\.6"),
        ("scram", "SCRAM-SHA-256", "alice", "s3cret", True), E(r"^235 2\.7\.0"),
        S(b"MAIL FROM:<a@x.test>\r\n" + PLAIN), E("^250"),
        E(r"^503 5\.5\.1")],
    # RFC 8314 3.3: TLS first, STARTTLS neither offered nor accepted
    "implicit-tls": [T(), E(r"^220 localhost ESMTP"), S(EHLO),
                     E(r"^250-(?!.*STARTTLS).*AUTH PLAIN LOGIN"),
                     S(b"STARTTLS\r\n"), E(r"^554 5\.5\.1"), S(PLAIN),
                     E("^235"), S(b"QUIT\r\n"), E("^221")],
    "implicit-tls-relay": [T(), E("^220")] + OPEN[1:] + [
        S(b"MAIL FROM:<a@x.test>\r\nRCPT TO:<v@elsewhere.test>\r\n"
          b"RCPT TO:<b@y.test>\r\n"),
        E("^250"), E(r"^530 5\.7\.0"), E("^250")],
    # RFC 3207 4: 530 before TLS
    "tls-required": OPEN + [S(b"MAIL FROM:<a@x.test>\r\n"),
                            E(r"^530 5\.7\.0 Must issue a STARTTLS"),
                            S(b"STARTTLS now\r\n"), E(r"^501 5\.5\.4"),
                            S(b"STARTTLS\r\n"), E("^220"), T(),
                            S(b"MAIL FROM:<a@x.test>\r\n"),
                            E(r"^503 5\.5\.1 Error: send HELO"),
                            S(EHLO), E(r"^250-(?!.*STARTTLS)"),
                            S(b"MAIL FROM:<a@x.test>\r\n"), E("^250")],
    # the mx profile's STARTTLS with a CA-signed certificate (--tls-cert)
    "mx-starttls": OPEN + [S(b"STARTTLS\r\n"),
                           E(r"^220 2\.0\.0 Ready to start TLS$"),
                           T(trust="ca", host="sink.test"), S(EHLO),
                           E(r"^250-(?!.*STARTTLS)"), S(b"STARTTLS\r\n"),
                           E(r"^554 5\.5\.1"), S(TXN + b"DATA\r\nx\r\n.\r\n"),
                           E("^250"), E("^250"), E("^354"), E(r"^250 2\.0\.0"),
                           S(b"QUIT\r\n"), E("^221")],
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
    "554-greeting": [E(r"^554 "), S(EHLO), E(r"^503"),
                     S(b"MAIL FROM:<>\r\n"), E(r"^503 5\.5\.1"),
                     S(b"QUIT\r\n"), E("^221"), ("close",)],
}


def run(port, steps, files):
    start = time.monotonic()
    s = Session(port)
    try:
        for st in steps:
            if st[0] == "send":
                s.send(st[1])
            elif st[0] == "expect":
                s.expect(st[1])
            elif st[0] == "tls":
                s.tls(st[1], files)
                if st[1].get("fail"):
                    break  # nothing more to say on this connection
            elif st[0] == "scram":
                s.scram(*st[1:])
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
    ap.add_argument("--profile-args")
    ap.add_argument("--preset")
    ap.add_argument("--profile")
    ap.add_argument("--port", type=int)
    ap.add_argument("--served")
    ap.add_argument("--ca")
    a = ap.parse_args()
    if a.list_presets:
        print("\n".join(sorted(PRESETS)))
        return 0
    if a.preset_args or a.profile_args:
        args = (PRESET_ARGS.get(a.preset_args, []) if a.preset_args else
                PROFILE_ARGS.get(a.profile_args,
                                 ["--profile", a.profile_args]))
        print(" ".join(re.sub(r"\{(\w+)\}", lambda m: os.environ[m.group(1)],
                              x) for x in args))
        return 0
    steps = PRESETS[a.preset] if a.preset else PROFILES[a.profile]
    try:
        run(a.port, steps, {"served": a.served, "ca": a.ca})
    except (Fail, OSError) as e:
        print("FAIL %s: %s" % (a.preset or a.profile, e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
