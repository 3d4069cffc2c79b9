#!/bin/bash
# PRDR (draft-hall-prdr-00) between the engine and the sink: a sink told
# to advertise it (fault row `EHLO -> add PRDR`) answers the end of data
# of a MAIL ... PRDR transaction with 353, one reply per accepted
# recipient and the message's reply; the engine expects exactly those
# (a case that waits for one reply too many or too few fails). When the
# message is refused outright (a 554 instead of 353) the engine expects
# no per-recipient replies. Without the row the sink refuses PRDR (555).
# Usage: prdr_sink.sh SMTPSUITE_BINARY
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/servers/lib.sh
. "$HERE/../servers/lib.sh"
srv_init "$1"
D=$SRV_DIR/prdr
mkdir -p "$D"

# mk NAME KEY-LINES...: a case that sends MAIL ... PRDR, two recipients
# (one refused), the data, then the expectations given.
mk() {
  local name=$1
  shift
  {
    cat <<EOF2
id:       prdr.$name
title:    PRDR $name
rfc:      draft-hall-prdr-00 4
severity: must
requires: none
fixtures: sender

connect
S: 220
C: EHLO \${helo}
S: 250
C: MAIL FROM:<\${sender}> PRDR
S: 250 | 555 -> end
C: RCPT TO:<alice@sink.test>
S: 250
C: RCPT TO:<nouser@sink.test>
S: 550
C: DATA
S: 354
data msg
EOF2
    printf '%s\n' "$@"
    printf 'C: QUIT\nS: 221\n'
  } > "$D/$name.smtp"
}
mk replies "S: 353" "S: 250 /alice@sink.test/" "! S: 250 /queued as/" "expect silence 300ms"
mk one-short "S: 353" "! S: 250 /queued as/" "expect silence 300ms"
mk refused "! S: 554"

# steps JSON: the step names of the result's case, from "eod" on.
steps() {
  $SRV_PY -c 'import json, sys
c = json.load(open(sys.argv[1]))["cases"][0]
n = [s["name"] for s in c["steps"]]
print(" ".join(n[n.index("eod"):]))' "$1"
}

# want VERDICT CASE STEPS [sink args...]: the verdict, and the names of
# the steps from the end of data on (the replies the engine waited for).
want() {
  local v=$1 c=$2 st=$3 out got
  shift 3
  srv_sink --local-domain sink.test "$@"
  out=$("$SMTPSUITE" run --target "127.0.0.1:$SINK_PORT" --var sender=a@client.test \
    --json "$D/$c.json" "$D/$c.smtp" 2>&1) || true
  srv_stop_sink "$SINK_PID" "$SINK_DIR"
  if grep -q -E "(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:" <<< "$out" ||
    ! grep -q -E "^$v +prdr\.$c" <<< "$out"; then
    echo "$out" | tail -n 20
    srv_fail "prdr.$c with sink $*: want $v"
  fi
  got=$(steps "$D/$c.json")
  [ "$got" = "$st" ] || srv_fail "prdr.$c: steps '$got', want '$st'"
  echo "ok prdr.$c: $v, steps $got (sink $*)"
}
want PASS replies "eod prdr prdr silence quit" --fault 'EHLO -> add PRDR'
want FAIL one-short "eod prdr" --fault 'EHLO -> add PRDR'
want PASS refused "eod quit" --fault 'EHLO -> add PRDR' \
  --fault 'EOD -> reply 554 5.7.1 rejected'
# Not advertised: MAIL ... PRDR is refused (555) and the case ends there.
srv_sink --local-domain sink.test
out=$("$SMTPSUITE" run --target "127.0.0.1:$SINK_PORT" --var sender=a@client.test -v \
  "$D/replies.smtp" 2>&1) || true
srv_stop_sink "$SINK_PID" "$SINK_DIR"
grep -q "555 5.5.4 Unsupported option: PRDR" <<< "$out" ||
  { echo "$out" | tail -n 20; srv_fail "without the row: want 555 to PRDR"; }
echo "ok without the row: 555 to MAIL ... PRDR"
echo "prdr_sink: PRDR's replies proven between the engine and the sink"
