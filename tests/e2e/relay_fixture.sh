#!/bin/bash
# The test relay (tests/servers/relay.py) does what each --mode says,
# judged at the next hop: the sink's arrival log with the content
# (--record-data). A message smtpsuite generated (with its delivery
# token and digest) is captured once at a first sink, then submitted
# through the relay by a raw client, so the sink's change class says
# what the relay did; hand-made messages cover bare line ends, dots,
# long lines and 8-bit octets.
#   normalize (default): no bare LF or CR arrives; dots survive; the
#     trace field is on top; the generated message arrives trace-only
#   pass: the bare LF and bare CR arrive as sent; 1 MiB of dot lines and
#     end-of-data look-alikes arrives octet for octet
#   drop: 250, nothing arrives;  twice: two records of one token
#   alter-body: body-changed;  add-header: headers-added, after Received
#   fold: no line over 78 octets, nothing but CRLF inserted
#   strip-8bit: no octet over 0x7f arrives
#   bounce: a refused recipient (RCPT 550 5.1.1, or 554 5.7.1 after the
#     data) yields a DSN from <> to the sender with its Status and the
#     original X-Smtpsuite-Id; without bounce, no DSN
#   the rig's Postfix (srv_postfix_bounce) answers the same refusal with
#     a DSN of the same fields, within the 10 s the arrival wait allows
#   a 4xx at RCPT, or an unreachable next hop: 451, nothing forwarded;
#   SIGTERM: exit 0 (srv_stop_relay)
# Usage: relay_fixture.sh SMTPSUITE_BINARY
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
CASES=$(cd "$HERE/../../cases" && pwd)
# shellcheck source=tests/servers/lib.sh
. "$HERE/../servers/lib.sh"
srv_init "$1"

# submit PORT FROM TO[,TO...] FILE [WANT]: one transaction with a raw
# client; FILE is the content (dot-stuffed here, on CRLF line starts
# only); the reply to the end of data must start with WANT (default 250).
submit() {
  $SRV_PY - "$@" <<'PY'
import socket, sys
port, sender, rcpts, path = sys.argv[1:5]
want = sys.argv[5] if len(sys.argv) > 5 else "250"
content = open(path, "rb").read()
s = socket.create_connection(("127.0.0.1", int(port)), timeout=30)
f = s.makefile("rb")
def reply():
    while True:
        line = f.readline().decode()
        if line[3:4] != "-":
            return line.strip()
def cmd(line, code):
    s.sendall(line.encode() + b"\r\n")
    r = reply()
    if not r.startswith(code):
        sys.exit("submit: %s -> %s, want %s" % (line, r, code))
reply()
cmd("EHLO client.test", "250")
body8 = " BODY=8BITMIME" if any(b > 127 for b in content) else ""
cmd("MAIL FROM:<%s>%s" % (sender, body8), "250")
for r in rcpts.split(","):
    cmd("RCPT TO:<%s>" % r, "250")
cmd("DATA", "354")
s.sendall((b"\r\n" + content).replace(b"\r\n.", b"\r\n..")[2:] + b".\r\n")
r = reply()
if not r.startswith(want):
    sys.exit("submit: end of data -> %s, want %s" % (r, want))
cmd("QUIT", "221")
print("submit: %s" % r)
PY
}

# via_relay FILE [WANT]: submit FILE from a@sink.test to b@sink.test
# through the relay started last.
via_relay() { submit "$RELAY_PORT" a@sink.test b@sink.test "$@"; }

# expect N 'python expression': the arrival log's records after the
# first $SEEN hold N more records, all in r (a list of dicts, each with
# "raw": the content as bytes, "hdr": the field names; dsns: those from
# <>, mails: the others), and the expression is true.
SEEN=0
expect() {
  local n=$1
  srv_wait_lines "$ARR" $((SEEN + n)) 10 || srv_fail "want $n more arrivals after $SEEN"
  sleep 0.3 # nothing more (drop, twice) may follow
  $SRV_PY - "$ARR" "$SEEN" "$n" "$2" <<'PY'
import json, re, sys
path, seen, n, expr = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def unescape(text):
    esc = {"r": b"\r", "n": b"\n", "t": b"\t", "\\": b"\\"}
    out = re.sub(r"\\(x[0-9a-fA-F]{2}|[rnt\\])", lambda m: "\0%s\0" % m.group(1), text)
    parts = out.split("\0")
    b = b""
    for i, p in enumerate(parts):
        if i % 2 == 0:
            b += p.encode()
        else:
            b += bytes([int(p[1:], 16)]) if p[0] == "x" else esc[p]
    return b
r = [json.loads(l) for l in open(path)][seen:]
for x in r:
    x["raw"] = unescape(x.get("data", ""))
    x["hdr"] = [h["name"] for h in x["headers"]]
dsns = [x for x in r if x["mail_from"]["address"] == ""]
mails = [x for x in r if x["mail_from"]["address"] != ""]
ok = len(r) == n and bool(eval(expr))
print(("ok   " if ok else "FAIL ") + expr)
if not ok:
    for x in r:
        print("  ", {k: x.get(k) for k in ("mail_from", "rcpt_to", "change", "token")}, x["raw"][:600])
    sys.exit("the %d record(s) after %d do not match (want %d)" % (len(r), seen, n))
PY
  SEEN=$((SEEN + n))
}

echo "== a generated message (token and digest) from a first sink"
srv_sink --record-data
"$SMTPSUITE" run -q --cases-dir "$CASES" -T "$CASES/targets/sink.target" \
  --target "127.0.0.1:$SINK_PORT" "$CASES/core/transaction-accepted.smtp" > /dev/null ||
  srv_fail "run against the first sink"
GEN=$SRV_DIR/gen.eml
ARR=$SINK_DIR/arrivals.jsonl
# expect's decoding of the record is the one the later checks use
expect 1 "r[0]['change'] == 'intact' and open('$GEN', 'wb').write(r[0]['raw']) > 0"
TOKEN=$(grep -a '^X-Smtpsuite-Id: ' "$GEN" | tr -d '\r' | sed 's/^X-Smtpsuite-Id: //')
[ -n "$TOKEN" ] || srv_fail "the generated message has no X-Smtpsuite-Id"
srv_stop_sink

echo "== the next hop: a sink that refuses refuse@sink.test and one message"
srv_sink --record-data \
  --fault 'RCPT~<refuse@sink\.test> -> reply 550 5.1.1 <refuse@sink.test>: Recipient address rejected: User unknown' \
  --fault 'EOD~refuse-this-body -> reply 554 5.7.1 Error: content rejected' \
  --fault 'RCPT~<later@sink\.test> -> reply 450 4.2.0 <later@sink.test>: try again later'
HOP=$SINK_PORT
ARR=$SINK_DIR/arrivals.jsonl SEEN=0

# hand-made messages
M=$SRV_DIR/msgs
mkdir -p "$M"
printf 'Subject: bare\r\nX-Smtpsuite-Id: bare.1\r\n\r\nline a\nline b\rline c\r\n\n.\n.\r.x\r\n' > "$M/bare"
printf 'Subject: dots\r\n\r\n.hidden\r\n..two\r\n.\r\nend\r\n' > "$M/dots"
printf 'Subject: long\r\n\r\n%s\r\n%s\r\nshort\r\n' \
  "$(printf 'word%.0s ' $(seq 1 40))" "$(printf 'x%.0s' $(seq 1 200))" > "$M/long"
printf 'Subject: 8bit\r\nContent-Type: text/plain; charset=utf-8\r\n\r\ngr\303\274\303\237e \342\202\254\r\n' > "$M/8bit"
# the marker is in the body, so the DSN (header section only) passes
printf 'Subject: refuse\r\nX-Smtpsuite-Id: refuse.1\r\n\r\nrefuse-this-body\r\n' > "$M/refuse-eod"
$SRV_PY - "$M/big" <<'PY' # 1 MiB: every end-of-data look-alike, dots
import sys
lines = [b".", b"..", b".x", b"x\n.\n", b"\r.\r", b"a" * 990, b""]
body = b"\r\n".join(lines[i % len(lines)] for i in range(8000))
open(sys.argv[1], "wb").write(b"Subject: big\r\n\r\n" + body + b"\r\n")
PY
has_bare='re.search(rb"(?<!\r)\n|\r(?!\n)", x["raw"])'

echo "== normalize (the default)"
srv_relay "$HOP"
via_relay "$M/bare"
expect 1 "all(not $has_bare for x in r) and r[0]['raw'].endswith(b'line a\r\nline b\r\nline c\r\n\r\n.\r\n.\r\n.x\r\n')"
via_relay "$M/dots"
expect 1 "r[0]['raw'].endswith(b'\r\n\r\n.hidden\r\n..two\r\n.\r\nend\r\n')"
via_relay "$GEN"
expect 1 "r[0]['change'] == 'trace-only' and r[0]['token'] == '$TOKEN' and re.match(rb'Received: from client\.test \(\[127\.0\.0\.1\]\) by relay\.test with ESMTP id 3; ', r[0]['raw'])"
srv_stop_relay

echo "== pass: bare line ends arrive as sent"
srv_relay "$HOP" --mode pass
via_relay "$M/bare"
expect 1 "r[0]['raw'].endswith(open('$M/bare', 'rb').read().split(b'\r\n\r\n', 1)[1]) and b'line a\nline b\rline c' in r[0]['raw']"
via_relay "$GEN"
expect 1 "r[0]['change'] == 'trace-only'"
via_relay "$M/big"
expect 1 "r[0]['raw'].split(b'\r\n', 1)[1] == open('$M/big', 'rb').read()"
srv_stop_relay

echo "== drop: 250, nothing forwarded"
srv_relay "$HOP" --mode drop
via_relay "$GEN"
sleep 1
expect 0 "True"
grep -q "dropped (mode drop)" "$RELAY_DIR/log" || srv_fail "the relay did not log the drop"
srv_stop_relay

echo "== twice: two arrivals of one token"
srv_relay "$HOP" --mode twice
via_relay "$GEN"
expect 2 "[x['token'] for x in r] == ['$TOKEN'] * 2 and r[0]['raw'] == r[1]['raw']"
srv_stop_relay

echo "== alter-body, add-header"
srv_relay "$HOP" --mode alter-body
via_relay "$GEN"
expect 1 "r[0]['change'] == 'body-changed'"
srv_stop_relay
srv_relay "$HOP" --mode add-header
via_relay "$GEN"
expect 1 "r[0]['change'] == 'headers-added' and r[0]['hdr'][:2] == ['Received', 'X-Relay-Note']"
srv_stop_relay

echo "== fold: long body lines folded, only CRLF inserted"
srv_relay "$HOP" --mode fold
via_relay "$M/long"
expect 1 "max(map(len, r[0]['raw'].split(b'\r\n\r\n', 1)[1].split(b'\r\n'))) <= 78 and r[0]['raw'].split(b'\r\n', 1)[1].replace(b'\r\n', b'') == open('$M/long', 'rb').read().replace(b'\r\n', b'') and r[0]['raw'].count(b'\r\n') >= 8"
srv_stop_relay

echo "== strip-8bit: no octet over 0x7f arrives"
srv_relay "$HOP" --mode strip-8bit
via_relay "$M/8bit"
expect 1 "max(r[0]['raw']) < 128 and r[0]['raw'].endswith(bytes(b & 0x7f for b in open('$M/8bit', 'rb').read().split(b'\r\n\r\n')[1]))"
srv_stop_relay

echo "== without bounce a refused recipient is dropped: no DSN"
srv_relay "$HOP"
submit "$RELAY_PORT" a@sink.test b@sink.test,refuse@sink.test "$GEN"
expect 1 "[x['address'] for x in r[0]['rcpt_to']] == ['b@sink.test']"
grep -q "refused <refuse@sink.test>: 550 5.1.1" "$RELAY_DIR/log" || srv_fail "the relay did not log the refusal"
srv_stop_relay

echo "== bounce: refused at RCPT, and after the data"
srv_relay "$HOP" --mode bounce
submit "$RELAY_PORT" a@sink.test b@sink.test,refuse@sink.test "$GEN"
dsn() { # record $1 is a DSN from <> to the sender
  echo "r[$1]['mail_from']['address'] == '' and [x['address'] for x in r[$1]['rcpt_to']] == ['a@sink.test']"
}
expect 2 "r[0]['token'] == '$TOKEN' and $(dsn 1) and all(s in r[1]['raw'] for s in [b'Content-Type: multipart/report; report-type=delivery-status;', b'Content-Type: message/delivery-status', b'Final-Recipient: rfc822; refuse@sink.test', b'Action: failed', b'Status: 5.1.1', b'Diagnostic-Code: smtp; 550 5.1.1 <refuse@sink.test>', b'Content-Type: text/rfc822-headers', b'X-Smtpsuite-Id: $TOKEN\r\n'])"
submit "$RELAY_PORT" a@sink.test b@sink.test,c@sink.test "$M/refuse-eod"
expect 1 "$(dsn 0) and r[0]['raw'].count(b'Action: failed') == 2 and b'Status: 5.7.1' in r[0]['raw'] and b'X-Smtpsuite-Id: refuse.1\r\n' in r[0]['raw']"
submit "$RELAY_PORT" "" refuse@sink.test "$GEN"
sleep 1
expect 0 "True" # no DSN for a DSN (null sender)
srv_stop_relay

echo "== the rig's Postfix bounces the same refusal: the DSN arrives at once"
srv_postfix_bounce "$HOP"
submit "$POSTFIX_PORT" a@sink.test b@sink.test,refuse@sink.test "$GEN"
expect 2 "len(dsns) == 1 and mails[0]['token'] == '$TOKEN' and [x['address'] for x in dsns[0]['rcpt_to']] == ['a@sink.test'] and all(s in dsns[0]['raw'] for s in [b'report-type=delivery-status', b'Final-Recipient: rfc822; refuse@sink.test', b'Action: failed', b'Status: 5.1.1', b'Diagnostic-Code: smtp; 550 5.1.1', b'X-Smtpsuite-Id: $TOKEN\r\n'])"

echo "== a 4xx from the next hop, or none at all: 451, nothing forwarded"
srv_relay "$HOP" --mode bounce
submit "$RELAY_PORT" a@sink.test b@sink.test,later@sink.test "$GEN" 451
sleep 1
expect 0 "True"
srv_stop_relay
grep -q "deferred: 450 4.2.0 <later@sink.test>" "$RELAY_DIR/log" || srv_fail "the relay did not log the 450"
srv_relay "$(srv_free_port)"
via_relay "$GEN" 451
srv_stop_relay
grep -q "deferred: next hop unreachable" "$RELAY_DIR/log" || srv_fail "the relay did not log the deferral"
echo PASS
