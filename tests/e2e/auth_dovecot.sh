#!/bin/bash
# Every SASL mechanism of the client against Dovecot's submission service
# (a server nobody here wrote): PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1 and
# SCRAM-SHA-256 against a passwd-file user, XOAUTH2 and OAUTHBEARER
# against Dovecot's oauth2 passdb validating a JSON Web Token offline
# (introspection_mode = local, an HMAC key in a dict). The right secrets
# get 235 (PASS); wrong ones, a token signed with another key and an
# expired token end in a clean 535 (FAIL, never ERROR).
# Usage: auth_dovecot.sh SMTPSUITE_BINARY
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/servers/lib.sh
. "$HERE/../servers/lib.sh"
srv_init "$1"
CASES=$HERE/cases/auth
fails=0

# The oauth2 passdb: tokens are HS256 JWTs whose sub is the user; the
# key is looked up as <azp>/<alg>/<kid> ("default" for both).
O=$SRV_DIR/oauth
KEY=$(head -c 32 /dev/urandom | base64)
mkdir -p "$O/keys/default/HS256"
printf '%s' "$KEY" > "$O/keys/default/HS256/default"
cat > "$O/oauth2.conf.ext" <<EOF2
introspection_mode = local
local_validation_key_dict = fs:posix:prefix=$O/keys/
username_attribute = sub
EOF2
chmod -R a+rX "$O"
SRV_DOVECOT_MECHS="plain login cram-md5 scram-sha-1 scram-sha-256 xoauth2 oauthbearer"
SRV_DOVECOT_CONF="passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $O/oauth2.conf.ext
}
auth_verbose = yes"
srv_sink # where Dovecot relays after AUTH
srv_dovecot "$SINK_PORT"
jwt() { $SRV_PY "$HERE/jwt_hs256.py" "$@"; }

# run NAME WANT_EXIT PASS TOKEN [cases]: the AUTH cases as DOVECOT_USER
run() {
  local name=$1 want=$2 rc=0
  export AUTH_PASS=$3 AUTH_TOKEN=$4
  shift 4
  # Dovecot delays answers to a client whose logins failed (its auth
  # penalty: up to 15 s per attempt), past the ci profile's 10 s
  "$SMTPSUITE" run --target "127.0.0.1:$DOVECOT_SUBMISSION_PORT" --timeouts rfc \
    --var "user=$DOVECOT_USER" --secret pass=env:AUTH_PASS \
    --secret token=env:AUTH_TOKEN --json "$SRV_DIR/$name.json" "$@" \
    > "$SRV_DIR/$name.out" 2>&1 || rc=$?
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

AUTH_CODES="[[s['code'] for s in x['steps'] if s['name'] == 'auth'] for x in cases.values()]"
run right 0 "$DOVECOT_PASS" "$(jwt "$KEY" "$DOVECOT_USER" 3600)" "$CASES" &&
  check right "len(cases) == 7" \
    "all(x['verdict'] == 'PASS' for x in cases.values())" \
    "$AUTH_CODES == [[235]] * 7"
# Dovecot's log names each mechanism it accepted
for m in PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256 XOAUTH2 OAUTHBEARER; do
  grep -q "Login: user=<$DOVECOT_USER>, method=$m," "$DOVECOT_DIR/dovecot.log" ||
    { echo "FAILED: Dovecot logged no login with $m"; fails=$((fails + 1)); }
done
run wrong 1 "not-$DOVECOT_PASS" "$(jwt "$(head -c 32 /dev/urandom | base64)" \
  "$DOVECOT_USER" 3600)" "$CASES" &&
  check wrong "len(cases) == 7" \
    "all(x['verdict'] == 'FAIL' for x in cases.values())" \
    "$AUTH_CODES == [[535]] * 7"
run expired 1 "$DOVECOT_PASS" "$(jwt "$KEY" "$DOVECOT_USER" -60)" \
  "$CASES/oauthbearer.smtp" "$CASES/xoauth2.smtp" &&
  check expired "all(x['verdict'] == 'FAIL' for x in cases.values())" \
    "$AUTH_CODES == [[535]] * 2"
grep -q "Token has expired" "$DOVECOT_DIR/dovecot.log" ||
  { echo "FAILED: Dovecot did not say the token expired"; fails=$((fails + 1)); }
# a token for another user does not authenticate this one
run other-user 1 "$DOVECOT_PASS" "$(jwt "$KEY" someone-else 3600)" \
  "$CASES/oauthbearer.smtp" && check other-user "$AUTH_CODES == [[535]]"

[ "$fails" = 0 ] || srv_fail "$fails checks failed"
echo "all AUTH checks against Dovecot passed"
