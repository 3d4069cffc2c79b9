#!/bin/bash
# Delivery checks through a real relay: Postfix from the rig relays to
# the sink that `smtpsuite load --deliver-to` runs in-process.
#  0. (no relay) `run --deliver-to` with the next hop as its own target:
#     every generated message the cases send arrives intact;
#  1. at a fixed rate every accepted message arrives, none lost, each
#     changed only by Postfix's trace header;
#  2. a next-hop fault that stores one message and hangs up before its
#     250 makes Postfix deliver it again: exactly that duplicate is
#     reported (and the threshold 'duplicated == 0' is breached);
#  3. a Postfix that defers a share of the messages (defer_transports,
#     flushed later) shows that share as late, nothing lost.
# Usage: deliver_postfix.sh SMTPSUITE_BINARY
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
CASES=$(cd "$HERE/../../cases" && pwd)
# shellcheck source=tests/servers/lib.sh
. "$HERE/../servers/lib.sh"
srv_init "$1"

# check JSON EXPR: srv_delivery_check (tests/servers/lib.sh)
check() { srv_delivery_check "$@"; }

load() {
  local json=$1 next=$2
  shift 2
  "$SMTPSUITE" load --cases-dir "$CASES" --target "127.0.0.1:$POSTFIX_PORT" \
    --deliver-to "127.0.0.1:$next" --threads 1 --quiet --json "$json" \
    --sender 'a{n}@x.test' --rcpt 'u{n}@sink.test' --size 3KiB "$@"
}

echo "== 0: run --deliver-to, the next hop as its own target: all intact"
HOP=$(srv_free_port)
rc=0
"$SMTPSUITE" run -q --cases-dir "$CASES" -T "$CASES/targets/sink.target" \
  --target "127.0.0.1:$HOP" --deliver-to "127.0.0.1:$HOP" \
  --json "$SRV_DIR/run.json" "$CASES/suites/smoke.suite" || rc=$?
[ "$rc" = 0 ] || srv_fail "run exited $rc, want 0"
check "$SRV_DIR/run.json" 'c["delivery.submitted"] >= 1 and c["delivery.arrived"] == c["delivery.submitted"]'
check "$SRV_DIR/run.json" 'c["delivery.class.intact"] == c["delivery.arrived"] and c["delivery.lost"] == 0'

echo "== 1: every message arrives"
NEXT=$(srv_free_port)
srv_postfix_relay "$NEXT"
[ "$POSTFIX_PORT" != "$NEXT" ] || srv_fail "Postfix got the next hop's port"
rc=0
load "$SRV_DIR/all.json" "$NEXT" --rate 10 --duration 3s \
  --threshold 'lost == 0' --threshold 'p99(delivery) < 20s' \
  --threshold 'corrupt == 0' --threshold 'duplicated == 0' || rc=$?
[ "$rc" = 0 ] || { tail -20 "$POSTFIX_DIR/maillog"; srv_fail "load exited $rc, want 0"; }
check "$SRV_DIR/all.json" 'c["delivery.submitted"] == 30 and c["delivery.arrived"] == 30'
check "$SRV_DIR/all.json" 'c["delivery.lost"] == 0 and c["delivery.duplicated"] == 0 and c["delivery.late"] == 0'
check "$SRV_DIR/all.json" 'c["delivery.class.trace-only"] == 30 and c["delivery.corrupt"] == 0'
check "$SRV_DIR/all.json" 'c["delivery.foreign"] == 0 and c["delivery.unexpected"] == 0'
check "$SRV_DIR/all.json" 'len(h) == 2 and all(x["total"] == 30 for x in h)'

echo "== 2: a next hop that hangs up after storing message 3: one duplicate"
rc=0
load "$SRV_DIR/dup.json" "$NEXT" --rate 10 --duration 1s --deliver-settle 12s \
  --deliver-record "$SRV_DIR/dup.jsonl" \
  --deliver-fault 'EOD~X-Smtpsuite-Id: [0-9a-f]+\.0\.[0-9]+\.3\. -> accept; close-before; once' \
  --threshold 'duplicated == 0' --threshold 'lost == 0' || rc=$?
[ "$rc" = 99 ] || { tail -20 "$POSTFIX_DIR/maillog"; srv_fail "load exited $rc, want 99 (duplicated == 0 breached)"; }
check "$SRV_DIR/dup.json" 'c["delivery.submitted"] == 10 and c["delivery.arrived"] == 10 and c["delivery.lost"] == 0'
check "$SRV_DIR/dup.json" 'c["delivery.duplicated"] == 1 and p["delivery.duplicated_tokens"].endswith(".0.3.3.load.prologue.messages")'
check "$SRV_DIR/dup.json" 'len(p["delivery.duplicated_tokens"].split()) == 1'
n=$(grep -c 'u3@sink.test' "$SRV_DIR/dup.jsonl")
[ "$n" = 2 ] || srv_fail "the arrival log has message 3 $n times, want 2"
echo "ok   the arrival log holds message 3 twice"

echo "== 3: Postfix defers a share (u0 u5 u10 u15 of 20): that share is late"
NEXT2=$(srv_free_port)
SLOW="[127.0.0.1]:$NEXT2"
SRV_POSTFIX_MASTER_EXTRA="slow      unix  -       -       n       -       -       smtp"
srv_postfix_relay "$NEXT2" "defer_transports = slow" \
  "transport_maps = inline:{u0@sink.test=slow:$SLOW, u5@sink.test=slow:$SLOW, u10@sink.test=slow:$SLOW, u15@sink.test=slow:$SLOW, sink.test=smtp:$SLOW}"
SRV_POSTFIX_MASTER_EXTRA=
[ "$POSTFIX_PORT" != "$NEXT2" ] || srv_fail "Postfix got the next hop's port"
rc=0
load "$SRV_DIR/late.json" "$NEXT2" --rate 10 --duration 2s --deliver-late 3s \
  --deliver-drain 40s --threshold 'lost == 0' --threshold 'late <= 20%' &
pid=$!
sleep 7 # the load sent its 20; the deferred 4 wait in Postfix's queue
postqueue -c "$POSTFIX_DIR/etc" -f
wait $pid || rc=$?
[ "$rc" = 0 ] || { tail -20 "$POSTFIX_DIR/maillog"; srv_fail "load exited $rc, want 0"; }
check "$SRV_DIR/late.json" 'c["delivery.submitted"] == 20 and c["delivery.arrived"] == 20 and c["delivery.lost"] == 0'
check "$SRV_DIR/late.json" 'c["delivery.late"] == 4 and c["delivery.duplicated"] == 0'
echo PASS
