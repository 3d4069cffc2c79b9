#!/bin/bash
# LMTP (RFC 2033) against servers nobody here wrote, with --protocol lmtp:
# - Dovecot's LMTP service: cases/lmtp passes (LHLO, a refused recipient,
#   one reply per accepted recipient after the data, 503 to DATA without
#   one), and the message is in the user's Maildir;
# - Postfix's smtp-sink -L: a case with three recipients gets three
#   replies after the data and nothing more, and a load run through the
#   prologue (LHLO) ends every session without an error. smtp-sink
#   itself fails the library's LMTP cases: it advertises
#   ENHANCEDSTATUSCODES but answers QUIT with a bare "221 Bye" (REPLY-04),
#   and it takes every recipient; the test keeps that finding in view.
# Usage: variants_lmtp.sh SMTPSUITE_BINARY
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=tests/servers/lib.sh
. "$HERE/../servers/lib.sh"
srv_init "$1"

# clean OUTPUT: no sanitizer report in a run's output.
clean() {
  if grep -q -E "(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:" <<< "$1"; then
    echo "$1" | tail -n 30
    srv_fail "a sanitizer report"
  fi
}

echo "== Dovecot LMTP"
# shellcheck disable=SC2119 # no relay port: only LMTP is used
srv_dovecot
out=$("$SMTPSUITE" run --target "127.0.0.1:$DOVECOT_LMTP_PORT" --protocol lmtp \
  --var sender=a@client.test --var "rcpt=$DOVECOT_USER" --var rcpt_invalid=nouser \
  --var localdomain=dovecot.rig.test "$ROOT/cases/lmtp" 2>&1) || true
echo "$out" | tail -n 6
clean "$out"
grep -q "^4 passed, 0 failed" <<< "$out" || srv_fail "cases/lmtp on Dovecot: want 4 passed"
n=0
for _ in $(seq 50); do
  n=$(grep -rl "X-Smtpsuite-Id: .*lmtp\.data\.one-reply-per-rcpt" "$DOVECOT_DIR/mail" 2>/dev/null | wc -l)
  [ "$n" -ge 1 ] && break
  sleep 0.1
done
[ "$n" -ge 1 ] || srv_fail "no message of lmtp.data.one-reply-per-rcpt in the Maildir"
echo "ok Dovecot stored the LMTP message ($n file(s))"

echo "== Postfix smtp-sink -L"
srv_dir smtp-sink
SD=$SRV_NEWDIR
chmod 777 "$SD"
port=$(srv_free_port)
user=()
[ "$(id -u)" = 0 ] && user=(-u nobody)
smtp-sink "${user[@]}" -L "127.0.0.1:$port" 64 > "$SD/out" 2> "$SD/log" &
SRV_STOPS+=("srv_stop_pid $!")
srv_wait_port "$port" 10 || srv_fail "smtp-sink -L did not start"
C=$SD/three.smtp
cat > "$C" <<'EOF2'
id:       variant.lmtp.three-replies
title:    three accepted recipients, three replies after the data
rfc:      RFC 2033 4.2
severity: must
requires: none
fixtures: sender

connect
S: 220
C: LHLO ${helo}
S: 250
C: MAIL FROM:<${sender}>
S: 250
C: RCPT TO:<one@lmtp.test>
S: 250
C: RCPT TO:<two@lmtp.test>
S: 250
C: RCPT TO:<three@lmtp.test>
S: 250
C: DATA
S: 354
data msg
S: 250
S: 250
! S: 250
expect silence 500ms
close
EOF2
out=$("$SMTPSUITE" run --target "127.0.0.1:$port" --protocol lmtp \
  --var sender=a@client.test "$C" 2>&1) || true
clean "$out"
grep -q "^1 passed, 0 failed" <<< "$out" || { echo "$out"; srv_fail "three LMTP replies"; }
echo "ok smtp-sink -L: three replies after the data, then silence"
J=$SD/load.json
"$SMTPSUITE" load -q --target "127.0.0.1:$port" --protocol lmtp -c 2 -n 10 -m 2 \
  --var sender=a@client.test --var rcpt=r@lmtp.test --json "$J" \
  "$ROOT/cases/load/prologue-messages.smtp" > "$SD/load.out" 2>&1 ||
  { cat "$SD/load.out"; srv_fail "load --protocol lmtp failed"; }
clean "$(cat "$SD/load.out")"
got=$($SRV_PY -c 'import json, sys
r = json.load(open(sys.argv[1]))
c = {x["name"]: x["value"] for x in r.get("counters", [])}
print(c["sessions.ok"], c["messages.sent"])' "$J")
[ "$got" = "10 20" ] || srv_fail "load over LMTP: sessions.ok messages.sent = '$got', want '10 20'"
echo "ok load over LMTP: 10 sessions, 20 messages"
out=$("$SMTPSUITE" run --target "127.0.0.1:$port" --protocol lmtp --var sender=a@client.test \
  --var rcpt=x@lmtp.test --var rcpt_invalid=nouser@lmtp.test "$ROOT/cases/lmtp" 2>&1) || true
clean "$out"
n=$(grep -c "REPLY-04: .* 221 reply to quit" <<< "$out" || true)
[ "$n" -ge 1 ] || { echo "$out"; srv_fail "smtp-sink's bare 221 is no longer a REPLY-04 finding"; }
echo "ok smtp-sink's bare '221 Bye' after ENHANCEDSTATUSCODES is found ($n cases)"
echo "variants_lmtp: LMTP proven on Dovecot and smtp-sink"
