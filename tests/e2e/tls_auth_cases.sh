#!/bin/bash
# The library's TLS and AUTH cases against the sink: they PASS against
# the conformant sink, and each FAILs, at its key assertion, under a fault
# that breaks what it checks (the mutation proof):
#   tls.starttls.no-plaintext-injection (TLS-06)  starttls-injection
#   tls.starttls.forgets-ehlo (TLS-05)            starttls-keeps-session
#   tls.starttls.resets-transaction (TLS-05)      starttls-keeps-session +
#                                                 ehlo-keeps-transaction
#   auth.cram-md5.succeeds (AUTH-04)              auth-refuses-advertised
#   auth.scram-sha-256.succeeds (AUTH-04)         auth-refuses-advertised,
#                                                 scram-bad-signature
# and with a doveadm-made SCRAM-SHA-256 verifier as the user's password.
# Usage: tls_auth_cases.sh SMTPSUITE_BINARY
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=tests/servers/lib.sh
. "$HERE/../servers/lib.sh"
srv_init "$1"
fails=0
export SINK_PASS=case-pass-$$ SINK_TOKEN=case-token-$$
printf 'alice:%s:%s\n' "$SINK_PASS" "$SINK_TOKEN" > "$SRV_DIR/users"

# cases NAME WANT_EXIT TARGET_FILE DIR: runs DIR's cases against the last
# sink through the target file (its address replaced)
cases() {
  local name=$1 want=$2 target=$3 dir=$4 rc=0
  "$SMTPSUITE" run --target-file "$ROOT/cases/targets/$target.target" \
    --target "127.0.0.1:$SINK_PORT" --json "$SRV_DIR/$name.json" \
    "$ROOT/cases/$dir" > "$SRV_DIR/$name.out" 2>&1 || rc=$?
  if [ "$rc" != "$want" ]; then
    cat "$SRV_DIR/$name.out"
    echo "FAILED $name: exit $rc, want $want"
    fails=$((fails + 1))
    return 1
  fi
}

# verdicts NAME 'id=VERDICT ...': each case's verdict; a FAIL must be
# decided at the case's key assertion
verdicts() {
  local name=$1 args=() pair
  for pair in $2; do
    args+=("cases['${pair%%=*}']['verdict'] == '${pair#*=}'")
    [ "${pair#*=}" = FAIL ] &&
      args+=("cases['${pair%%=*}']['steps'][cases['${pair%%=*}']['decisive_step']]['key']")
  done
  if $SRV_PY "$HERE/result_check.py" "$SRV_DIR/$name.json" "${args[@]}"; then
    echo "ok $name: $2"
  else
    echo "FAILED $name"
    fails=$((fails + 1))
  fi
}

INJ=tls.starttls.no-plaintext-injection
EHLO=tls.starttls.forgets-ehlo
TXN=tls.starttls.resets-transaction
CRAM=auth.cram-md5.succeeds
SCRAM=auth.scram-sha-256.succeeds

srv_sink
cases tls-pass 0 sink tls && verdicts tls-pass "$INJ=PASS $EHLO=PASS $TXN=PASS"
srv_stop_sink
srv_sink --fault starttls-injection
cases tls-injection 1 sink tls &&
  verdicts tls-injection "$INJ=FAIL $EHLO=PASS $TXN=PASS"
srv_stop_sink
srv_sink --fault starttls-keeps-session
cases tls-keeps 1 sink tls && verdicts tls-keeps "$INJ=PASS $EHLO=FAIL $TXN=PASS"
srv_stop_sink
srv_sink --fault starttls-keeps-session --fault ehlo-keeps-transaction
cases tls-keeps-txn 1 sink tls && verdicts tls-keeps-txn "$TXN=FAIL"
srv_stop_sink

srv_sink --profile submission --users "$SRV_DIR/users"
cases auth-pass 0 sink-submission auth && verdicts auth-pass "$CRAM=PASS $SCRAM=PASS"
srv_stop_sink
srv_sink --profile submission --users "$SRV_DIR/users" --fault auth-refuses-advertised
cases auth-refused 1 sink-submission auth &&
  verdicts auth-refused "$CRAM=FAIL $SCRAM=FAIL"
srv_stop_sink
srv_sink --profile submission --users "$SRV_DIR/users" --fault scram-bad-signature
cases auth-bad-sig 1 sink-submission auth &&
  verdicts auth-bad-sig "$CRAM=PASS $SCRAM=FAIL"
grep -q "server signature" "$SRV_DIR/auth-bad-sig.out" ||
  { echo "FAILED: the reason does not name the server signature"; fails=$((fails + 1)); }
srv_stop_sink

# a stored verifier made by Dovecot's doveadm as the password: SCRAM and
# PLAIN work from it, CRAM-MD5 (which needs the clear password) cannot
printf 'alice:%s:%s\n' "$(doveadm -c /dev/null pw -s SCRAM-SHA-256 -p "$SINK_PASS")" \
  "$SINK_TOKEN" > "$SRV_DIR/verifier-users"
srv_sink --profile submission --users "$SRV_DIR/verifier-users"
cases auth-verifier 1 sink-submission auth &&
  verdicts auth-verifier "$CRAM=FAIL $SCRAM=PASS"
grep -q "auth CRAM-MD5 failed: .*no clear password" "$SINK_DIR/log" ||
  { echo "FAILED: the sink did not say why CRAM-MD5 failed"; fails=$((fails + 1)); }
srv_stop_sink

[ "$fails" = 0 ] || srv_fail "$fails checks failed"
echo "the TLS and AUTH cases pass against the sink and fail under their faults"
