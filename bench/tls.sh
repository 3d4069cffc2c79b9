#!/bin/bash
# Benchmark: the client's CPU per STARTTLS session, beside OpenSSL's own
# handshake cost (openssl s_time -new, and -reuse beside --tls-resume).
# smtpsuite runs cases/load/prologue-messages.smtp (banner, EHLO,
# STARTTLS, the handshake, EHLO, one message, QUIT) against
# tests/tools/smtp_delay with a self-signed P-256 certificate, 50 at once;
# the same dialogue without TLS gives the part TLS adds. s_time talks to
# openssl s_server with the same certificate; both sides negotiate
# TLS 1.3 with OpenSSL's defaults. CPU is user + system from
# /usr/bin/time (s_time also prints its user-only figure).
# Usage: bench/tls.sh [BUILD_DIR]   (SESSIONS=3000 ROUNDS=3 STIME=10)
set -u
. "$(dirname "$0")/lib.sh"
bench_init "${1:-}"
SESSIONS=${SESSIONS:-3000} ROUNDS=${ROUNDS:-3} STIME=${STIME:-10}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj /CN=bench.test -keyout "$LT_DIR/key.pem" -out "$LT_DIR/cert.pem" 2>/dev/null ||
  lt_fail "openssl req"
bench_delay --tls "$LT_DIR/cert.pem" "$LT_DIR/key.pem"

client() { # NAME ARGS...: a run of SESSIONS sessions; CPU us a session
  local name=$1
  shift
  bench_time "$LT_DIR/time" "$SMTPSUITE" load -q --target "127.0.0.1:$DELAY_PORT" \
    --var sender=s@client.test --var rcpt=r@sink.test --concurrency 50 \
    --sessions "$SESSIONS" --threads 1 --json "$LT_DIR/r.json" "$@" \
    cases/load/prologue-messages.smtp >"$LT_DIR/out" 2>&1 || lt_fail "$name: $(tail -3 "$LT_DIR/out")"
  local ok
  ok=$(lt_json "$LT_DIR/r.json" 'c["sessions.ok"]')
  [ "$ok" = "$SESSIONS" ] || lt_fail "$name: $ok sessions ok, want $SESSIONS"
  read -r el us sy <"$LT_DIR/time"
  echo "$($LT_PY -c "print(($us + $sy) / $SESSIONS * 1e6)") $($LT_PY -c "print($us / $SESSIONS * 1e6)")" \
    >>"$LT_DIR/$name"
  if [ "$name" = resumed ]; then
    lt_json "$LT_DIR/r.json" '(c["tls.full"], c["tls.resumed"])' >>"$LT_DIR/resumed.counts"
  fi
}

stime() { # NAME -new|-reuse: CPU us a handshake
  local name=$1 how=$2 port
  port=$(lt_free_port)
  openssl s_server -quiet -accept "$port" -cert "$LT_DIR/cert.pem" -key "$LT_DIR/key.pem" \
    -naccept 1000000 </dev/null >/dev/null 2>&1 &
  local pid=$!
  SRV_STOPS+=("srv_stop_pid $pid")
  sleep 0.5
  bench_time "$LT_DIR/time" openssl s_time -connect "127.0.0.1:$port" "$how" \
    -time "$STIME" >"$LT_DIR/stime.out" 2>&1
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  local n
  n=$(grep -Eo '^[0-9]+ connections in' "$LT_DIR/stime.out" | head -1 | cut -d' ' -f1)
  [ -n "$n" ] && [ "$n" -gt 0 ] || lt_fail "s_time $how: $(cat "$LT_DIR/stime.out")"
  read -r el us sy <"$LT_DIR/time"
  echo "$($LT_PY -c "print(($us + $sy) / $n * 1e6)") $($LT_PY -c "print($us / $n * 1e6)")" \
    >>"$LT_DIR/$name"
}

for i in $(seq "$ROUNDS"); do
  client plain --tls none
  client starttls --tls starttls
  client resumed --tls starttls --tls-resume
  stime stime-new -new
  stime stime-reuse -reuse
  echo "# round $i done" >&2
done
echo
echo "## TLS: client CPU ($ROUNDS rounds; median (min to max))"
echo
echo "| client | what | CPU a session or handshake, user + system (us) | user only (us) |"
echo "|---|---|---|---|"
row() {
  echo "| $1 | $2 | $(bench_stats $(awk '{print $1}' "$LT_DIR/$3")) | $(bench_stats $(awk '{print $2}' "$LT_DIR/$3")) |"
}
row smtpsuite "session without TLS (EHLO, one message, QUIT)" plain
row smtpsuite "session with STARTTLS, full handshake" starttls
row smtpsuite "session with STARTTLS, --tls-resume" resumed
row "openssl s_time" "-new: a full handshake" stime-new
row "openssl s_time" "-reuse: a resumed handshake" stime-reuse
tls=$(bench_median $(awk '{print $1}' "$LT_DIR/starttls"))
plain=$(bench_median $(awk '{print $1}' "$LT_DIR/plain"))
st=$(bench_median $(awk '{print $1}' "$LT_DIR/stime-new"))
echo
echo "what STARTTLS adds to a session (median difference): $($LT_PY -c "print('%.0f us' % ($tls - $plain))");" \
  "s_time's full handshake: $($LT_PY -c "print('%.0f us' % $st)")" \
  "(ratio $($LT_PY -c "print('%.2f' % (($tls - $plain) / $st))"))"
echo "handshakes in the --tls-resume runs (full, resumed): $(tr '\n' ' ' <"$LT_DIR/resumed.counts")"
