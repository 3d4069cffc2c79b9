#!/bin/bash
# The PROXY protocol and Postfix's XCLIENT and XFORWARD against Postfix
# itself (a server nobody here wrote):
# - a Postfix with smtpd_upstream_proxy_protocol = haproxy takes our v1
#   and v2 headers and logs the client they claim; without a header the
#   prologue fails (ERROR); cases/proxy passes there and SKIPs on a
#   Postfix that greets at once;
# - a Postfix with STARTTLS that lets 127.0.0.0/8 use XCLIENT and
#   XFORWARD logs the claimed client of an XCLIENT sent in the prologue
#   before and after STARTTLS, and XFORWARD's orig_client; cases/xclient
#   passes there and SKIPs where XCLIENT is not offered.
# Usage: variants_postfix.sh SMTPSUITE_BINARY
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=tests/servers/lib.sh
. "$HERE/../servers/lib.sh"
srv_init "$1"
fails=0
bad() {
  echo "FAIL: $*"
  fails=$((fails + 1))
}

# A case with one message, so Postfix logs the client of a queued mail.
C=$SRV_DIR/variant-one.smtp
cat > "$C" <<'EOF2'
id:       variant.envelope.one
title:    one message through the prologue
rfc:      RFC 5321 3.3
severity: must
requires: none
fixtures: sender rcpt

open
C: MAIL FROM:<${sender}>
S: 250
C: RCPT TO:<${rcpt}>
S: 250
C: DATA
S: 354
data msg
! S: 250
C: QUIT
S: 221
EOF2

# run_want WANT LABEL ARGS...: the run's summary line must say WANT.
run_want() {
  local want=$1 label=$2 out
  shift 2
  out=$("$SMTPSUITE" run "$@" 2>&1) || true
  if grep -q -E "(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:" <<< "$out"; then
    bad "$label: a sanitizer report"
    echo "$out" | tail -n 30
  elif grep -q -F -- "$want" <<< "$out"; then
    echo "ok $label: $want"
  else
    bad "$label: want '$want', got:"
    echo "$out" | tail -n 15
  fi
}

# log_has DIR PATTERN LABEL: Postfix's log shows PATTERN (grep -E).
log_has() {
  local tries=50
  while [ $tries -gt 0 ]; do
    grep -q -E -- "$2" "$1/maillog" 2>/dev/null && { echo "ok $3: log has '$2'"; return 0; }
    sleep 0.1
    tries=$((tries - 1))
  done
  bad "$3: the log lacks '$2'"
}

echo "== PROXY protocol (smtpd_upstream_proxy_protocol = haproxy)"
srv_postfix "smtpd_upstream_proxy_protocol = haproxy"
P=$POSTFIX_DIR
T=(--target "127.0.0.1:$POSTFIX_PORT" --var sender=a@client.test
   --var "rcpt=postmaster@postfix$SRV_N.rig.test")
run_want "1 passed, 0 failed" "proxy v1" "${T[@]}" --proxy v1 \
  --proxy-source 192.0.2.10:4000 --proxy-dest 198.51.100.1:25 "$C"
log_has "$P" "connect from unknown\[192\.0\.2\.10\]" "proxy v1"
run_want "1 passed, 0 failed" "proxy v2" "${T[@]}" --proxy v2 \
  --proxy-source 192.0.2.11:4001 "$C"
log_has "$P" "client=unknown\[192\.0\.2\.11\]" "proxy v2"
# The default claim: the connection's own addresses.
run_want "1 passed, 0 failed" "proxy v2 own address" "${T[@]}" --proxy v2 "$C"
log_has "$P" "client=localhost\[127\.0\.0\.1\]" "proxy v2 own address"
# Without a header this Postfix never greets: the prologue fails.
run_want "0 passed, 0 failed, 1 error" "no header" "${T[@]}" "$C"
run_want "5 passed, 0 failed" "cases/proxy" "${T[@]}" --proxy v1 "$ROOT/cases/proxy"
log_has "$P" "haproxy read: bad or missing client address: PROXY TCP4 192\.0\.2\.300" \
  "proxy v1 malformed"
log_has "$P" "haproxy read: unrecognized protocol version" "proxy v2 malformed"

echo "== XCLIENT and XFORWARD (smtpd_authorized_xclient_hosts = 127.0.0.0/8)"
srv_certs
srv_postfix_tls "$SRV_CERT" "$SRV_KEY" \
  "smtpd_authorized_xclient_hosts = 127.0.0.0/8" \
  "smtpd_authorized_xforward_hosts = 127.0.0.0/8"
X=$POSTFIX_DIR
T=(--target "127.0.0.1:$POSTFIX_PORT" --var sender=a@client.test
   --var "rcpt=postmaster@postfix$SRV_N.rig.test")
run_want "1 passed, 0 failed" "xclient" "${T[@]}" \
  --xclient "NAME=plain.xclient.test ADDR=192.0.2.20" "$C"
log_has "$X" "client=plain\.xclient\.test\[192\.0\.2\.20\]" "xclient"
run_want "1 passed, 0 failed" "xclient after tls" "${T[@]}" --tls starttls \
  --xclient "NAME=after.xclient.test ADDR=192.0.2.21" "$C"
log_has "$X" "disconnect from after\.xclient\.test\[192\.0\.2\.21\] ehlo=3 xclient=0/1 starttls=1" \
  "xclient after tls"
run_want "1 passed, 0 failed" "xclient before tls" "${T[@]}" --tls starttls \
  --xclient-tls before --xclient "NAME=before.xclient.test ADDR=192.0.2.22" "$C"
log_has "$X" "client=before\.xclient\.test\[192\.0\.2\.22\]" "xclient before tls"
run_want "1 passed, 0 failed" "xforward" "${T[@]}" \
  --xforward "NAME=xforward.test ADDR=192.0.2.23 PROTO=ESMTP HELO=orig.test" "$C"
log_has "$X" "orig_client=xforward\.test\[192\.0\.2\.23\]" "xforward"
run_want "4 passed, 0 failed" "cases/xclient" "${T[@]}" "$ROOT/cases/xclient"

echo "== the same cases where nothing is offered: SKIP"
srv_postfix
T=(--target "127.0.0.1:$POSTFIX_PORT" --var sender=a@client.test
   --var "rcpt=postmaster@postfix$SRV_N.rig.test")
run_want "0 passed, 0 failed, 9 skipped" "skips" "${T[@]}" \
  "$ROOT/cases/xclient" "$ROOT/cases/proxy"
# A Postfix that does not authorise us refuses XCLIENT: the prologue fails.
run_want "0 passed, 0 failed, 1 error" "xclient refused" "${T[@]}" \
  --xclient "ADDR=192.0.2.24" "$C"

[ "$fails" = 0 ] || srv_fail "$fails check(s) failed"
echo "variants_postfix: PROXY v1/v2, XCLIENT before/after STARTTLS and XFORWARD proven on Postfix"
