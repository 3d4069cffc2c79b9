#!/bin/bash
# End-to-end: smtpsuite load against Postfix's smtp-sink, which counts
# sessions, QUITs and messages on its own. Checks that the sessions the
# run reports are those requested, that the messages the sink received
# are those sent, the JSON result's histograms and counters, the live
# file, and the reports.
# Usage: tests/e2e/load_sink.sh PATH/TO/smtpsuite
set -u
. "$(dirname "$0")/load_lib.sh"
lt_init "${1:?usage: load_sink.sh PATH/TO/smtpsuite}"
cd "$(dirname "$0")/../.." || exit 1
lt_sink
target=(--target "127.0.0.1:$SINK_PORT" --var sender=s@client.test --var rcpt=r@sink.test)

echo "== closed model: 10 at once, 200 sessions of 2 messages, 2 threads"
"$SMTPSUITE" load -q "${target[@]}" --concurrency 10 --sessions 200 -m 2 \
  --threads 2 --size 1KiB --sender 'u{n}@client.test' \
  --json "$LT_DIR/closed.json" --junit "$LT_DIR/closed.xml" \
  --html "$LT_DIR/closed.html" --live "$LT_DIR/live.jsonl" \
  --threshold 'p99(eod) < 30s' --threshold 'errors == 0' --threshold 'rate >= 100%' \
  cases/load/helo-messages.smtp >"$LT_DIR/closed.out" 2>&1
lt_expect "exit code" "$?" 0
lt_sink_wait 200 || lt_fail "the sink counted $(lt_sink_counts), want 200 sessions"
lt_expect "sink: sessions quits messages" "$(lt_sink_counts)" "200 200 400"
r=$LT_DIR/closed.json
lt_expect "kind" "$(lt_json "$r" 'r["kind"]')" load
lt_expect "sessions ended == requested" "$(lt_json "$r" 'c["sessions.ended"]')" 200
lt_expect "sessions ok" "$(lt_json "$r" 'c["sessions.ok"]')" 200
lt_expect "messages sent == messages at the sink" "$(lt_json "$r" 'c["messages.sent"]')" 400
lt_expect "eod histogram, sent basis" "$(lt_json "$r" 'h[("eod","sent")]["total"]')" 400
lt_expect "eod histogram, intended >= sent" \
  "$(lt_json "$r" 'h[("eod","intended")]["total"] >= 400')" True
lt_expect "session histogram" "$(lt_json "$r" 'h[("session","sent")]["total"]')" 200
lt_expect "histogram parameters" \
  "$(lt_json "$r" '(h[("mail","sent")]["lowest_us"], h[("mail","sent")]["highest_us"], h[("mail","sent")]["sigfig"])')" \
  "(1, 3600000000, 3)"
lt_expect "steps measured" \
  "$(lt_json "$r" 'sorted(set(n for (n, b) in h))')" \
  "['banner', 'connect', 'data_cmd', 'eod', 'helo', 'loop_lag', 'mail', 'quit', 'rcpt', 'session']"
lt_expect "thresholds" \
  "$(lt_json "$r" '[p["threshold.%d.status" % i] for i in range(3)]')" \
  "['pass', 'pass', 'pass']"
lt_expect "the timeline adds up" "$(lt_json "$r" 'sum(int(x) for x in p["timeline.ended"].split(","))')" 200
lt_expect "junit: three threshold testcases" \
  "$(grep -c '<testcase[^>]*classname="thresholds"' "$LT_DIR/closed.xml")" 3
grep -q '<svg' "$LT_DIR/closed.html" || lt_fail "the HTML report has no chart"
lt_expect "live lines are JSON" \
  "$($LT_PY -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]; print("yes")' "$LT_DIR/live.jsonl")" yes
grep -q "from the intended start" "$LT_DIR/closed.out" || lt_fail "no summary table"

echo "== open model: 200 arrivals a second for 1 s, persistent sessions"
set -- $(lt_sink_counts)
before=$1 before_msg=$3
"$SMTPSUITE" load -q "${target[@]}" --rate 200 --duration 1s -m 3 \
  --json "$LT_DIR/open.json" cases/load/helo-messages.smtp >"$LT_DIR/open.out" 2>&1
lt_expect "exit code" "$?" 0
lt_sink_wait $((before + 200)) || lt_fail "the sink counted $(lt_sink_counts)"
set -- $(lt_sink_counts)
lt_expect "sink: sessions" "$(($1 - before))" 200
lt_expect "sink: messages" "$(($3 - before_msg))" 600
r=$LT_DIR/open.json
lt_expect "scheduled" "$(lt_json "$r" 'c["sessions.scheduled"]')" 200
lt_expect "ended" "$(lt_json "$r" 'c["sessions.ended"]')" 200
lt_expect "dropped" "$(lt_json "$r" 'c["sessions.dropped"]')" 0
lt_expect "requested rate" "$(lt_json "$r" 'c["rate.requested_milli"]')" 200000
lt_expect "messages" "$(lt_json "$r" 'c["messages.accepted"]')" 600

echo "== pipelining, RSET between messages, a weighted mix"
before=$(lt_sink_counts | cut -d' ' -f3)
"$SMTPSUITE" load -q "${target[@]}" --concurrency 4 --sessions 40 -m 2 --rset \
  --scenario cases/load/pipeline-messages.smtp:3 --scenario cases/load/prologue-messages.smtp:1 \
  --json "$LT_DIR/mix.json" >"$LT_DIR/mix.out" 2>&1
lt_expect "exit code" "$?" 0
r=$LT_DIR/mix.json
lt_expect "ok" "$(lt_json "$r" 'c["sessions.ok"]')" 40
lt_expect "rset: one per session" "$(lt_json "$r" 'h[("rset","sent")]["total"]')" 40
sleep 0.5
set -- $(lt_sink_counts)
lt_expect "sink: messages" "$(($3 - before))" 80
echo "PASS"
