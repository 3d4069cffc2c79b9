#!/bin/bash
# Secrets never leak (issue 7 item 3): a run with AUTH over every
# mechanism against the sink (submission profile, STARTTLS), once with
# the right password and token and once with wrong ones, writes the
# console (-v), JSON, JUnit and HTML outputs; the sink logs every byte
# (--verbose). Every output is searched for each password and token, in
# clear and in base64 at all three alignments (tests/e2e/secret_scan.py);
# one hit fails the test. The scanner is first shown to find a planted
# secret, so the search can fail. Also: every mechanism gets 235 with the
# right secrets and a clean 535 with wrong ones, and the sink's log and
# arrival log name the authenticated user.
# Usage: secrets_leak.sh SMTPSUITE_BINARY
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=tests/servers/lib.sh
. "$HERE/../servers/lib.sh"
srv_init "$1"
SCAN="$SRV_PY $HERE/secret_scan.py --secret-env SINK_PASS --secret-env SINK_TOKEN
  --secret-env WRONG_PASS --secret-env WRONG_TOKEN"
export SINK_PASS=Pw-$RANDOM-correct-horse-$$ SINK_TOKEN=tok.$RANDOM.battery-staple-$$
export WRONG_PASS=Wrong-$RANDOM-pass-word-$$ WRONG_TOKEN=bad.$RANDOM.token-$$
umask 077
printf 'alice:%s:%s\n' "$SINK_PASS" "$SINK_TOKEN" > "$SRV_DIR/users"
fails=0

# the scanner finds a secret inside base64 at every alignment, and in clear
for k in 0 1 2; do
  $SRV_PY -c 'import base64, os, sys
sys.stdout.write(base64.b64encode(b"\0user\0"[:int(sys.argv[1]) + 3] +
                 os.environ["SINK_PASS"].encode() + b"\0x").decode())' "$k" \
    > "$SRV_DIR/planted-$k"
done
echo "token $SINK_TOKEN" > "$SRV_DIR/planted-clear"
for f in "$SRV_DIR"/planted-*; do
  if $SCAN "$f" > /dev/null; then
    echo "FAILED: the scanner missed the secret planted in $f"; fails=$((fails + 1))
  fi
done
echo "ok the scanner finds planted secrets ($(ls "$SRV_DIR"/planted-* | wc -l) files)"

srv_sink --profile submission --users "$SRV_DIR/users" --verbose
# run NAME WANT_EXIT: the AUTH cases and a case through the target's
# prologue (STARTTLS, then AUTH PLAIN) with every report
run() {
  local name=$1 want=$2 rc=0
  "$SMTPSUITE" run -v --target-file "$ROOT/cases/targets/sink-submission.target" \
    --target "127.0.0.1:$SINK_PORT" --json "$SRV_DIR/$name.json" \
    --junit "$SRV_DIR/$name.xml" --html "$SRV_DIR/$name.html" \
    "$HERE/cases/auth" "$HERE/cases/tls/noop.smtp" \
    "$ROOT/cases/core/transaction-accepted.smtp" \
    > "$SRV_DIR/$name.console" 2>&1 || rc=$?
  if [ "$rc" != "$want" ]; then
    tail -n 30 "$SRV_DIR/$name.console"
    echo "FAILED $name: exit $rc, want $want"
    fails=$((fails + 1))
  fi
}
AUTH_CODES="[[s['code'] for s in x['steps'] if s['name'] == 'auth'] for x in cases.values()]"
run right 0
$SRV_PY "$HERE/result_check.py" "$SRV_DIR/right.json" "len(cases) == 9" \
  "all(x['verdict'] == 'PASS' for x in cases.values())" \
  "sorted($AUTH_CODES) == [[235]] * 9" &&
  echo "ok every mechanism (and the prologue's PLAIN) got 235" ||
  fails=$((fails + 1))
# the same with wrong secrets: a clean 535 from every mechanism
SINK_PASS=$WRONG_PASS SINK_TOKEN=$WRONG_TOKEN run wrong 1
$SRV_PY "$HERE/result_check.py" "$SRV_DIR/wrong.json" \
  "[x['verdict'] for x in cases.values()].count('FAIL') == 7" \
  "cases['test.tls.noop']['verdict'] == 'ERROR'" \
  "sorted($AUTH_CODES) == [[535]] * 9" &&
  echo "ok every mechanism got 535 with wrong secrets" || fails=$((fails + 1))
srv_stop_sink
for m in PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256 XOAUTH2 OAUTHBEARER; do
  grep -q "auth $m ok: user alice" "$SINK_DIR/log" ||
    { echo "FAILED: the sink logged no AUTH $m"; fails=$((fails + 1)); }
  grep -q "auth $m failed: " "$SINK_DIR/log" ||
    { echo "FAILED: the sink logged no failed AUTH $m"; fails=$((fails + 1)); }
done
# the message sent after the prologue's STARTTLS and AUTH: RFC 3848's
# ESMTPSA, the user and the handshake in the arrival log
$SRV_PY -c 'import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
assert len(r) == 1, r
assert r[0]["protocol"] == "ESMTPSA" and r[0]["auth"] == "alice", r[0]
assert r[0]["tls"]["protocol"] == "TLSv1.3", r[0]' "$SINK_DIR/arrivals.jsonl" &&
  echo "ok the arrival log: ESMTPSA, user alice, TLSv1.3" || fails=$((fails + 1))
grep -q '<AUTH response redacted: ' "$SINK_DIR/log" &&
  grep -q 'AUTH PLAIN <initial response redacted>' "$SINK_DIR/log" ||
  { echo "FAILED: the sink's verbose log shows no redaction"; fails=$((fails + 1)); }

outputs=("$SRV_DIR"/right.* "$SRV_DIR"/wrong.* "$SINK_DIR/log" "$SINK_DIR/arrivals.jsonl")
echo "scanning ${#outputs[@]} outputs:" "${outputs[@]##*/}"
if ! $SCAN "${outputs[@]}"; then
  echo "FAILED: a secret leaked (see above)"; fails=$((fails + 1))
else
  echo "ok no password or token, in clear or base64 at any alignment"
fi

[ "$fails" = 0 ] || srv_fail "$fails checks failed"
echo "no secret leaked"
