"""Drives a running sink with Python's smtplib (a client nobody here
wrote) and checks the sink's arrival log against what was sent.
Usage: sink_smtplib.py PORT ARRIVALS.jsonl (the sink runs with
--size-limit 100000)."""
import hashlib
import json
import smtplib
import sys
import time

PORT = int(sys.argv[1])
LOG = sys.argv[2]
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def records(n):
    for _ in range(100):
        try:
            with open(LOG, encoding="utf-8") as fp:
                recs = [json.loads(l) for l in fp if l.strip()]
        except FileNotFoundError:
            recs = []
        if len(recs) >= n:
            return recs
        time.sleep(0.1)
    return recs


sent = []  # (from, rcpts, exact content the sink must hold)
s = smtplib.SMTP("127.0.0.1", PORT, local_hostname="client.test")
code, _ = s.ehlo()
check(code == 250, "EHLO 250")
for ext in ("pipelining", "size", "8bitmime", "smtputf8", "dsn", "chunking",
            "enhancedstatuscodes"):
    check(s.has_extn(ext), "EHLO advertises " + ext.upper())
check(s.esmtp_features.get("size") == "100000", "SIZE 100000 advertised")

# several recipients, one unknown: a partial refusal (RFC 5321 3.3)
msg = "From: a@x.test\r\nTo: b@y.test\r\nSubject: three\r\n\r\nhello\r\n"
refused = s.sendmail("a@x.test", ["b@y.test", "nouser1@y.test", "c@y.test"],
                     msg)
check(list(refused) == ["nouser1@y.test"] and refused["nouser1@y.test"][0] == 550,
      "sendmail: only nouser1 refused with 550 (%r)" % refused)
sent.append(("a@x.test", ["b@y.test", "c@y.test"], msg.encode()))

# dot lines: smtplib dot-stuffs, the sink must undo it exactly (4.5.2)
dots = ("Subject: dots\r\n\r\n.\r\n..\r\n.x\r\n. \r\nx.\r\n...\r\n"
        "end\r\n")
s.sendmail("<>", ["d@y.test"], dots)
sent.append(("", ["d@y.test"], dots.encode()))

# 8BITMIME with 8-bit content kept byte for byte (RFC 6152)
body8 = "Subject: 8bit\r\n\r\ncaf\u00e9 \u00fcber\r\n".encode("utf-8")
s.sendmail("a@x.test", ["e@y.test"], body8, mail_options=["BODY=8BITMIME"])
sent.append(("a@x.test", ["e@y.test"], body8))

# SMTPUTF8: UTF-8 addresses with the parameter (RFC 6531)
utf = "Subject: utf8\r\n\r\nhi\r\n".encode("utf-8")
s.sendmail("d\u00f6rte@ex\u00e4mple.test", ["\u00fc@y.test"], utf,
           mail_options=["SMTPUTF8", "BODY=8BITMIME"])
sent.append(("d\u00f6rte@ex\u00e4mple.test", ["\u00fc@y.test"], utf))

# SIZE: smtplib declares SIZE=; over the limit it is refused at MAIL
try:
    s.sendmail("a@x.test", ["b@y.test"], "x" * 200000)
    check(False, "SIZE over the limit refused at MAIL")
except smtplib.SMTPSenderRefused as e:
    check(e.smtp_code == 552, "SIZE over the limit: 552 at MAIL (%d)" %
          e.smtp_code)

# no SIZE= declared: refused at end of data with 552 (RFC 1870 6)
s.rset()
code, _ = s.mail("a@x.test")
check(code == 250, "MAIL without SIZE 250")
code, _ = s.rcpt("b@y.test")
check(code == 250, "RCPT 250")
code, _ = s.data("Subject: big\r\n\r\n" + "y" * 150000)
check(code == 552, "content over the limit: 552 at EOD (%d)" % code)
code, _ = s.noop()
check(code == 250, "NOOP after the refusal: in sync")

# the small commands
code, _ = s.verify("postmaster")
check(code == 252, "VRFY 252 (RFC 5321 7.3)")
code, _ = s.docmd("HELP")
check(code == 214, "HELP 214")
code, _ = s.docmd("EXPN", "postmaster")
check(code == 502, "EXPN 502 (not advertised)")
code, _ = s.docmd("FOOBAR")
check(code == 500, "unknown command 500")
code, _ = s.docmd("RCPT TO:<b@y.test>")
check(code == 503, "RCPT without MAIL 503")
s.quit()

# the arrival log holds exactly what was sent
recs = records(len(sent))
check(len(recs) == len(sent), "arrival log: %d records (want %d)" %
      (len(recs), len(sent)))
for (frm, rcpts, data), r in zip(sent, recs):
    check(r["mail_from"]["address"] == frm, "record sender %r" % frm)
    check([x["address"] for x in r["rcpt_to"]] == rcpts,
          "record recipients %r" % rcpts)
    check(r["data_sha256"] == hashlib.sha256(data).hexdigest() and
          r["size"] == len(data), "record digest and size of %r" % data[:20])
    check(r["helo"] == "client.test" and r["client"].startswith("127.0.0.1:"),
          "record connection facts")
check(recs[0]["headers"][2] == {"name": "Subject", "value": "three"},
      "record headers")
check(recs[3]["protocol"] == "UTF8SMTP" and recs[0]["protocol"] == "ESMTP",
      "record protocol (RFC 3848, RFC 6531)")
check("BODY=8BITMIME" in recs[2]["mail_from"]["params"],
      "record MAIL parameters")

print("%d failures" % len(failures))
sys.exit(1 if failures else 0)
