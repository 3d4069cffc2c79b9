#!/bin/bash
# The sink under Postfix's smtp-source: 200 messages over 20 parallel
# sessions, then several recipients per message, then LMTP; the arrival
# log must hold exactly the messages sent.
# Usage: sink_smtp_source.sh SMTPSUITE_BINARY
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/servers/lib.sh
. "$HERE/../servers/lib.sh"
srv_init "$1"

count() { wc -l < "$1" | tr -d ' '; }

srv_sink --quiet
timeout 120 smtp-source -s 20 -m 200 -l 2000 -c -f from@x.test \
  -t to@y.test "127.0.0.1:$SINK_PORT" > /dev/null
echo
srv_wait_lines "$SINK_DIR/arrivals.jsonl" 200 30 || true
sleep 0.5
n=$(count "$SINK_DIR/arrivals.jsonl")
[ "$n" = 200 ] || srv_fail "200 messages sent, $n arrived"
echo "ok 200 messages x 20 sessions arrived"
$SRV_PY - "$SINK_DIR/arrivals.jsonl" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert len({r["queue_id"] for r in recs}) == 200, "queue ids not unique"
assert all(r["rcpt_to"][0]["address"] == "to@y.test" for r in recs)
assert all(r["size"] >= 2000 for r in recs), "short message"
print("ok records: unique ids, envelope, sizes")
PY

srv_sink --quiet
timeout 120 smtp-source -s 5 -m 50 -r 5 -c -f from@x.test -t to@y.test \
  "127.0.0.1:$SINK_PORT" > /dev/null
echo
srv_wait_lines "$SINK_DIR/arrivals.jsonl" 50 30 || true
sleep 0.5
[ "$(count "$SINK_DIR/arrivals.jsonl")" = 50 ] || srv_fail "-r 5: not 50 messages"
$SRV_PY -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; assert all(len(x["rcpt_to"])==5 for x in r), "want 5 recipients each"' \
  "$SINK_DIR/arrivals.jsonl"
echo "ok 50 messages with 5 recipients each"

srv_sink --quiet --profile lmtp
timeout 120 smtp-source -L -s 5 -m 50 -c -f from@x.test -t to@y.test \
  "127.0.0.1:$SINK_PORT" > /dev/null
echo
srv_wait_lines "$SINK_DIR/arrivals.jsonl" 50 30 || true
sleep 0.5
[ "$(count "$SINK_DIR/arrivals.jsonl")" = 50 ] || srv_fail "LMTP: not 50 messages"
echo "ok 50 messages over LMTP"
echo PASS
