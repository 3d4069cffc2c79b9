#!/bin/sh
# End-to-end: GNU SASL's gsasl tool as the independent peer of the SASL
# mechanisms. Our client (tests/tools/sasl_tool) against gsasl --server,
# and gsasl --client against our server, for every mechanism gsasl
# implements: PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1, SCRAM-SHA-256, with
# right and wrong credentials, authorization identities, user-name
# escaping, SASLprep, iteration counts and gsasl's stored SCRAM
# verifiers. gsasl has no XOAUTH2 or OAUTHBEARER: those are proven by the
# RFC 7628 and Google vectors in tests/unit/test_sasl*.c.
#
# The two programs talk over two FIFOs, one base64 line per message.
# Usage: tests/e2e/sasl_gsasl.sh PATH/TO/sasl_tool
set -u
tool=${1:?usage: sasl_gsasl.sh PATH/TO/sasl_tool}
if ! command -v gsasl >/dev/null 2>&1; then
  echo "sasl_gsasl: gsasl is not installed (scripts/setup --all)" >&2
  exit 1
fi
work=$(mktemp -d)
peer=
cleanup() {
  [ -n "$peer" ] && kill "$peer" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkfifo "$work/up" "$work/down"
pass=0
fail=0

# check NAME WANT TOOL_RC GSASL_RC [TEXT]: WANT is ok (both succeed) or
# refused (both fail, and the tool did not fail on usage); TEXT must then
# appear in the tool's stderr.
check() {
  name=$1 want=$2 trc=$3 grc=$4 text=${5:-}
  ok=no
  case $want in
    ok) [ "$trc" = 0 ] && [ "$grc" = 0 ] && ok=yes ;;
    refused) [ "$trc" != 0 ] && [ "$trc" != 2 ] && [ "$trc" != 124 ] &&
      [ "$grc" != 0 ] && [ "$grc" != 124 ] && ok=yes ;;
  esac
  if [ $ok = yes ] && [ -n "$text" ] && ! grep -q -- "$text" "$work/tool.err"; then
    ok=no
  fi
  if [ $ok = yes ]; then
    pass=$((pass + 1))
    echo "ok   $name"
  else
    fail=$((fail + 1))
    echo "FAIL $name: want $want${text:+ with '$text'}, got tool=$trc gsasl=$grc"
    sed 's/^/     tool: /' "$work/tool.err"
    sed 's/^/     gsasl: /' "$work/gsasl.err"
  fi
}

# ours_client NAME WANT "GSASL SERVER ARGS" "TOOL ARGS" [TEXT]
ours_client() {
  # shellcheck disable=SC2086
  timeout 20 gsasl --server --quiet $3 <"$work/up" >"$work/down" \
    2>"$work/gsasl.err" &
  peer=$!
  # Open "up" for writing first: the two opens of each FIFO must pair.
  # shellcheck disable=SC2086
  timeout 20 "$tool" client $4 >"$work/up" <"$work/down" 2>"$work/tool.err"
  trc=$?
  wait "$peer"
  grc=$?
  peer=
  check "our client vs gsasl server: $1" "$2" $trc $grc "${5:-}"
}

# ours_server NAME WANT "GSASL CLIENT ARGS" "TOOL ARGS" [TEXT]
ours_server() {
  # shellcheck disable=SC2086
  timeout 20 gsasl --client --quiet --no-cb $3 <"$work/up" >"$work/down" \
    2>"$work/gsasl.err" &
  peer=$!
  # shellcheck disable=SC2086
  timeout 20 "$tool" server $4 >"$work/up" <"$work/down" 2>"$work/tool.err"
  trc=$?
  wait "$peer"
  grc=$?
  peer=
  check "gsasl client vs our server: $1" "$2" $trc $grc "${5:-}"
}

# gsasl's server always opens with a challenge (empty for client-first
# mechanisms), so our client answers it instead of sending an initial
# response (--no-ir): the RFC 4954 "AUTH PLAIN" then "334 " path.
for m in PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256; do
  ours_client "$m" ok "-m $m -a user -p pencil" \
    "$m --no-ir --user user --pass pencil"
  ours_client "$m wrong password" refused "-m $m -a user -p pencil" \
    "$m --no-ir --user user --pass pencil2"
  ours_server "$m" ok "-m $m -a user -p pencil" \
    "$m --user user --pass pencil" "235 2.7.0 SUCCESS"
  ours_server "$m wrong password" refused "-m $m -a user -p pencil2" \
    "$m --user user --pass pencil" "535 5.7.8 BAD_CREDS"
  ours_server "$m unknown user" refused "-m $m -a bob -p pencil" \
    "$m --user user --pass pencil" "535 5.7.8 BAD_CREDS"
done

# Authorization identities: the sink lets a user act only as itself.
ours_server "PLAIN authzid=self" ok "-m PLAIN -a user -z user -p pencil" \
  "PLAIN --user user --pass pencil"
ours_server "PLAIN authzid=other" refused \
  "-m PLAIN -a user -z other -p pencil" "PLAIN --user user --pass pencil" \
  "535 5.7.8 AUTHZ"
ours_server "SCRAM-SHA-256 authzid=other" refused \
  "-m SCRAM-SHA-256 -a user -z other -p pencil" \
  "SCRAM-SHA-256 --user user --pass pencil" "535 5.7.8 AUTHZ"
ours_client "SCRAM-SHA-1 authzid" ok "-m SCRAM-SHA-1 -a user -p pencil" \
  "SCRAM-SHA-1 --no-ir --user user --authzid admin --pass pencil"

# ',' and '=' in a SCRAM user name travel as =2C and =3D.
ours_client "SCRAM-SHA-1 user u,s=er" ok "-m SCRAM-SHA-1 -a u,s=er -p pencil" \
  "SCRAM-SHA-1 --no-ir --user u,s=er --pass pencil"
ours_server "SCRAM-SHA-256 user u,s=er" ok \
  "-m SCRAM-SHA-256 -a u,s=er -p pencil" \
  "SCRAM-SHA-256 --user u,s=er --pass pencil"

# SASLprep (RFC 4013 section 3): SOFT HYPHEN maps to nothing, ROMAN
# NUMERAL NINE to "IX", on both sides.
shy=$(printf 'I\302\255X')
nine=$(printf '\342\205\250')
ours_client "SCRAM-SHA-256 password U+2168" ok \
  "-m SCRAM-SHA-256 -a user -p IX" \
  "SCRAM-SHA-256 --no-ir --user user --pass $nine"
ours_client "SCRAM-SHA-1 password with U+00AD" ok \
  "-m SCRAM-SHA-1 -a user -p IX" \
  "SCRAM-SHA-1 --no-ir --user user --pass $shy"
ours_server "SCRAM-SHA-256 password with U+00AD" ok \
  "-m SCRAM-SHA-256 -a user -p $shy" "SCRAM-SHA-256 --user user --pass IX"

# Iteration counts: below 4096 is accepted with a warning, above the
# client's limit is refused before any PBKDF2.
ours_client "SCRAM-SHA-256 i=1000" ok \
  "-m SCRAM-SHA-256 -a user -p pencil --iteration-count=1000" \
  "SCRAM-SHA-256 --no-ir --user user --pass pencil" "below 4096"
ours_client "SCRAM-SHA-256 i=5000 over a limit of 4096" refused \
  "-m SCRAM-SHA-256 -a user -p pencil --iteration-count=5000" \
  "SCRAM-SHA-256 --no-ir --user user --pass pencil --max-iter 4096" \
  "above the limit"
ours_client "SCRAM-SHA-1 RFC 5802 salt and nonce" ok \
  "-m SCRAM-SHA-1 -a user -p pencil --salt=QSXCR+Q6sek8bf92 --iteration-count=4096" \
  "SCRAM-SHA-1 --no-ir --user user --pass pencil --nonce fyko+d2lbbFgONRv9qkxdawL"
ours_server "SCRAM-SHA-1 i=10000" ok "-m SCRAM-SHA-1 -a user -p pencil" \
  "SCRAM-SHA-1 --user user --pass pencil --iter 10000"

# Stored verifiers printed by gsasl --mkpasswd work in our user table.
for m in SCRAM-SHA-1 SCRAM-SHA-256; do
  v=$(gsasl --mkpasswd --mechanism=$m --password=pencil --iteration-count=4096)
  ours_server "$m against gsasl's verifier" ok "-m $m -a user -p pencil" \
    "$m --user user --pass $v"
  ours_server "$m against gsasl's verifier, wrong password" refused \
    "-m $m -a user -p pencil2" "$m --user user --pass $v" "BAD_CREDS"
  ours_server "PLAIN against gsasl's $m verifier" ok \
    "-m PLAIN -a user -p pencil" "PLAIN --user user --pass $v"
done

echo "sasl_gsasl: $pass passed, $fail failed"
[ $fail = 0 ]
