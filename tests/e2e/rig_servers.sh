#!/bin/bash
# The server rig itself: aiosmtpd, Dovecot (submission with SASL PLAIN
# relaying to the sink, and LMTP) and a plain Postfix start on free
# loopback ports, answer, and stop; several instances do not collide.
# Usage: rig_servers.sh SMTPSUITE_BINARY
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/servers/lib.sh
. "$HERE/../servers/lib.sh"
srv_init "$1"

srv_aiosmtpd
timeout 60 swaks --server 127.0.0.1 --port "$AIOSMTPD_PORT" --from a@x.test \
  --to b@y.test --suppress-data > /dev/null || srv_fail "swaks to aiosmtpd"
srv_wait_lines "$AIOSMTPD_DIR/arrivals.jsonl" 1 10 || srv_fail "aiosmtpd record"
echo "ok aiosmtpd received a message"

srv_sink
srv_dovecot "$SINK_PORT"
$SRV_PY - "$DOVECOT_SUBMISSION_PORT" "$DOVECOT_LMTP_PORT" "$DOVECOT_USER" \
  "$DOVECOT_PASS" <<'PY'
import smtplib, sys
sub, lmtp, user, pw = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
s = smtplib.SMTP("127.0.0.1", sub, local_hostname="client.test")
s.ehlo()
assert "PLAIN" in s.esmtp_features.get("auth", ""), s.esmtp_features
try:
    s.login(user, "wrong")
    raise SystemExit("a wrong password was accepted")
except smtplib.SMTPAuthenticationError as e:
    assert e.smtp_code == 535, e
code, _ = s.login(user, pw)
assert code == 235, code
s.sendmail("%s@x.test" % user, ["someone@sink.test"],
           "Subject: via dovecot\r\n\r\nrelayed\r\n")
s.quit()
print("ok dovecot submission: AUTH PLAIN 535/235, message relayed")
l = smtplib.LMTP("127.0.0.1", lmtp, local_hostname="client.test")
code, _ = l.ehlo() if False else l.docmd("LHLO", "client.test")
assert code == 250, code
refused = l.sendmail("a@x.test", [user], "Subject: lmtp\r\n\r\nhi\r\n")
assert not refused, refused
l.quit()
print("ok dovecot lmtp delivered")
PY
srv_wait_lines "$SINK_DIR/arrivals.jsonl" 1 30 || srv_fail "dovecot relay to the sink"
$SRV_PY - "$SINK_DIR/arrivals.jsonl" <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
assert len(r) == 1 and r[0]["rcpt_to"][0]["address"] == "someone@sink.test", r
print("ok the sink received Dovecot's relay (transfer %s)" % r[0]["transfer"])
PY

# two Postfix instances side by side; loopback is a stranger to both
srv_postfix
first=$POSTFIX_PORT
srv_postfix
[ "$first" != "$POSTFIX_PORT" ] || srv_fail "two Postfix instances on one port"
for port in "$first" "$POSTFIX_PORT"; do
  $SRV_PY - "$port" <<'PY'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="client.test")
s.ehlo()
assert s.has_extn("pipelining")
s.mail("a@x.test")
code, msg = s.rcpt("victim@elsewhere.test")
assert code in (454, 554), (code, msg)   # relay denied: not in mynetworks
s.quit()
print("ok postfix on %s refuses to relay for 127.0.0.1 (%d)" % (sys.argv[1], code))
PY
done
echo PASS
