#!/bin/bash
# End-to-end: a reduced, generous form of the accuracy proofs of bench/
# (which hold the tight figures, docs/performance.md). smtpsuite's sink
# holds every RCPT reply 50 ms (the fault rule 'RCPT -> delay 50ms'), so
# no RCPT can be measured below 50 ms, and its median must stay near it.
# Then the sink stalls for 600 ms in a closed run (SIGSTOP, SIGCONT): the
# figure from the intended start must show it (at least the stall), the
# correction must have added values. Bounds follow from the server's own
# timers, with wide margins for a loaded machine.
# Usage: tests/e2e/load_accuracy.sh PATH/TO/smtpsuite
set -u
. "$(dirname "$0")/load_lib.sh"
lt_init "${1:?usage: load_accuracy.sh PATH/TO/smtpsuite}"
cd "$(dirname "$0")/../.." || exit 1

# hist FILE STEP BASIS FIELD: min_us, max_us, total or p50 of a histogram
hist() {
  lt_json "$1" "[x for x in r['histograms'] if x['name'] == '$2' and x['basis'] == '$3'][0]['$4']"
}
p50() {
  $LT_PY - "$1" "$2" "$3" <<'PY'
import json, sys
h = [x for x in json.load(open(sys.argv[1]))["histograms"]
     if x["name"] == sys.argv[2] and x["basis"] == sys.argv[3]][0]
def highest(i):
    if i < 2048:
        return i
    b = i // 1024 - 1
    return ((i - b * 1024) << b) + (1 << b) - 1
rank, seen = -(-h["total"] // 2), 0
for i, c in h["buckets"]:
    seen += c
    if seen >= rank:
        print(min(max(highest(i), h["min_us"]), h["max_us"]))
        break
PY
}

echo "== RCPT held 50 ms"
srv_sink -q --fault 'RCPT -> delay 50ms'
"$SMTPSUITE" load -q --target "127.0.0.1:$SINK_PORT" --var sender=s@client.test \
  --var rcpt=r@x.test --concurrency 10 --sessions 200 --json "$LT_DIR/d.json" \
  cases/load/helo-messages.smtp >"$LT_DIR/d.out" 2>&1
lt_expect "exit code" "$?" 0
srv_wait_lines "$SINK_DIR/arrivals.jsonl" 200 10
lt_expect "messages at the sink == messages sent" \
  "$(wc -l <"$SINK_DIR/arrivals.jsonl") $(lt_json "$LT_DIR/d.json" 'c["messages.accepted"]')" "200 200"
f=$LT_DIR/d.json
lt_expect "rcpt measured" "$(hist "$f" rcpt sent total)" 200
lt_expect "no rcpt below the server's 50 ms" "$(lt_json "$f" "$(hist "$f" rcpt sent min_us) >= 50000")" True
lt_expect "intended never below sent" \
  "$(lt_json "$f" "$(hist "$f" rcpt intended min_us) >= $(hist "$f" rcpt sent min_us)")" True
med=$(p50 "$f" rcpt sent)
lt_expect "rcpt median between 50 and 150 ms ($med us)" \
  "$(lt_json "$f" "50000 <= $med <= 150000")" True
med=$(p50 "$f" mail sent)
lt_expect "mail median under 50 ms ($med us)" "$(lt_json "$f" "$med < 50000")" True
srv_stop_sink

echo "== the sink stalled 600 ms, 1 s into a closed run"
srv_sink -q
( sleep 1; kill -STOP "$SINK_PID"; sleep 0.6; kill -CONT "$SINK_PID" ) &
SRV_STOPS+=("kill -CONT $SINK_PID 2>/dev/null")
"$SMTPSUITE" load -q --target "127.0.0.1:$SINK_PORT" --var sender=s@client.test \
  --var rcpt=r@x.test --concurrency 5 --duration 3s --json "$LT_DIR/s.json" \
  cases/load/helo-messages.smtp >"$LT_DIR/s.out" 2>&1
lt_expect "exit code" "$?" 0
f=$LT_DIR/s.json
lt_expect "a session waited the stall (sent)" \
  "$(lt_json "$f" "$(hist "$f" session sent max_us) >= 550000")" True
lt_expect "the intended figure shows it" \
  "$(lt_json "$f" "$(hist "$f" session intended max_us) >= 550000")" True
lt_expect "the correction added values" \
  "$(lt_json "$f" 'c["histograms.corrected_values"] > 0')" True
lt_expect "more intended values than sent ones" \
  "$(lt_json "$f" "$(hist "$f" session intended total) > $(hist "$f" session sent total)")" True
echo "PASS"
