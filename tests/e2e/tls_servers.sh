#!/bin/bash
# The client's TLS against servers nobody here wrote, with certificates
# made at test time by openssl(1): Postfix with STARTTLS
# (smtpd_tls_security_level = may) and with TLS from the first byte
# (a service with smtpd_tls_wrappermode = yes, RFC 8314), aiosmtpd with
# STARTTLS (tls_context, and require_starttls). The TLS cases of the
# library pass against both (TLS-10 on Postfix's wrappermode port), but
# for aiosmtpd's 220 to a second STARTTLS (TLS-04); `handshake expect fail`
# sees Postfix take a TLS 1.1 handshake by default (smtpd_tls_protocols
# >=TLSv1) and refuse it once told >=TLSv1.2.
# Usage: tls_servers.sh SMTPSUITE_BINARY
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=tests/servers/lib.sh
. "$HERE/../servers/lib.sh"
srv_init "$1"
srv_certs
CASES=$HERE/cases/tls
fails=0
VERIFY=(--tls-ca-file "$SRV_CA" --tls-check-name --tls-servername localhost)
FIX=(--var sender=sender@client.test --var rcpt=postmaster@localhost)
# The library's TLS cases: over STARTTLS all PASS but these two SKIPs
NTLS=$(find "$ROOT/cases/tls" -name '*.smtp' | wc -l)
NOTHERE="'tls.starttls.not-offered-refused', 'tls.implicit.greeting-over-tls'"
SECOND=tls.starttls.second-refused

# client NAME WANT_EXIT PORT [run options and case files]
client() {
  local name=$1 want=$2 port=$3 rc=0
  shift 3
  "$SMTPSUITE" run --target "127.0.0.1:$port" --json "$SRV_DIR/$name.json" \
    "$@" > "$SRV_DIR/$name.out" 2>&1 || rc=$?
  if [ "$rc" != "$want" ]; then
    cat "$SRV_DIR/$name.out"
    echo "FAILED $name: exit $rc, want $want"
    fails=$((fails + 1))
    return 1
  fi
}

check() {
  local name=$1
  shift
  if $SRV_PY "$HERE/result_check.py" "$SRV_DIR/$name.json" "$@"; then
    echo "ok $name"
  else
    echo "FAILED $name"
    fails=$((fails + 1))
  fi
}

# ---- Postfix: STARTTLS and implicit TLS ------------------------------------
srv_postfix_tls "$SRV_CERT" "$SRV_KEY"
client pf-starttls 0 "$POSTFIX_PORT" --tls starttls "${VERIFY[@]}" \
  "$CASES/verified.smtp" &&
  check pf-starttls "c['verdict'] == 'PASS'" "t['verified'] == 1" \
    "t['protocol'] == 'TLSv1.3'" "t['sni'] == 'localhost'" \
    "t['chain'][0]['issuer'] == 'CN=smtpsuite test CA'" \
    "'STARTTLS' in c['connections'][0]['ehlo']" \
    "'STARTTLS' not in c['connections'][0]['ehlo_tls']"
client pf-implicit 0 "$POSTFIX_SMTPS_PORT" --tls implicit "${VERIFY[@]}" \
  "$CASES/verified.smtp" &&
  check pf-implicit "c['verdict'] == 'PASS'" "t['verified'] == 1" \
    "c['connections'][0]['banner'].startswith('postfix')"
# plaintext on the wrappermode port: no greeting comes in the clear
client pf-implicit-plain 3 "$POSTFIX_SMTPS_PORT" --tls none --timeouts ci \
  "$CASES/noop.smtp" && check pf-implicit-plain "c['verdict'] == 'ERROR'" \
    "c['category'] == 'timeout'"
client pf-cases 0 "$POSTFIX_PORT" "${FIX[@]}" "$ROOT/cases/tls" &&
  check pf-cases "len(cases) == $NTLS" \
    "set(($NOTHERE)) <= set(cases)" \
    "all(x['verdict'] == 'SKIP' for i, x in cases.items() if i in ($NOTHERE))" \
    "all(x['verdict'] == 'PASS' for i, x in cases.items() if i not in ($NOTHERE))"
# TLS-10 on the wrappermode port
client pf-implicit-case 0 "$POSTFIX_SMTPS_PORT" --tls implicit \
  "$ROOT/cases/tls/implicit-greeting-over-tls.smtp" &&
  check pf-implicit-case "c['verdict'] == 'PASS'"
# TLS 1.1: Postfix's default smtpd_tls_protocols (>=TLSv1) takes it ...
client pf-tls11 1 "$POSTFIX_PORT" --tls-min TLSv1 --tls-max TLSv1.1 \
  "$CASES/handshake-must-fail.smtp" &&
  check pf-tls11 "'succeeded (TLSv1.1' in c['reason']"
srv_stop_postfix "$POSTFIX_DIR"
# ... and refuses it when told (the handshake fails, as expected)
srv_postfix_tls "$SRV_CERT" "$SRV_KEY" "smtpd_tls_protocols = >=TLSv1.2"
client pf-tls11-refused 0 "$POSTFIX_PORT" --tls-min TLSv1 --tls-max TLSv1.1 \
  "$CASES/handshake-must-fail.smtp" &&
  check pf-tls11-refused "c['verdict'] == 'PASS'"
client pf-tls12 0 "$POSTFIX_PORT" --tls starttls --tls-min TLSv1.2 \
  --tls-max TLSv1.2 "$CASES/at-least-tls12.smtp" &&
  check pf-tls12 "t['protocol'] == 'TLSv1.2'"
srv_stop_postfix "$POSTFIX_DIR"

# ---- aiosmtpd: STARTTLS ------------------------------------------------------
srv_aiosmtpd --tls-cert "$SRV_CERT" --tls-key "$SRV_KEY"
client aio-starttls 0 "$AIOSMTPD_PORT" --tls starttls "${VERIFY[@]}" \
  "$CASES/verified.smtp" "$CASES/noop.smtp" &&
  check aio-starttls "all(x['verdict'] == 'PASS' for x in cases.values())" \
    "t['verified'] == 1"
# aiosmtpd 1.4.3's smtp_STARTTLS never asks whether TLS is already on:
# a second STARTTLS gets 220 (TLS-04 FAILs at its key)
client aio-cases 1 "$AIOSMTPD_PORT" "${FIX[@]}" "$ROOT/cases/tls" &&
  check aio-cases "len(cases) == $NTLS" \
    "set(($NOTHERE)) <= set(cases)" \
    "all(x['verdict'] == 'SKIP' for i, x in cases.items() if i in ($NOTHERE))" \
    "cases['$SECOND']['verdict'] == 'FAIL'" \
    "cases['$SECOND']['steps'][cases['$SECOND']['decisive_step']]['key']" \
    "'220' in cases['$SECOND']['reason']" \
    "all(x['verdict'] == 'PASS' for i, x in cases.items() if i not in ($NOTHERE, '$SECOND'))"
srv_stop_pid "$AIOSMTPD_PID"
srv_aiosmtpd --tls-cert "$SRV_CERT" --tls-key "$SRV_KEY" --require-tls
# require_starttls: MAIL in plaintext is refused; the target's STARTTLS
# prologue gets past it
client aio-required 0 "$AIOSMTPD_PORT" --tls starttls "${FIX[@]}" \
  "$ROOT/cases/core/transaction-accepted.smtp" &&
  check aio-required "c['verdict'] == 'PASS'" "t['protocol'] == 'TLSv1.3'"
srv_stop_pid "$AIOSMTPD_PID"

[ "$fails" = 0 ] || srv_fail "$fails checks failed"
echo "all TLS checks against real servers passed"
