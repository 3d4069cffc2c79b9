#!/bin/bash
# The client's TLS (smtpsuite run --tls*) against the sink's TLS and its
# TLS faults: STARTTLS and implicit TLS with the facts in the JSON
# result; verification none / ca-file / the name check; the errors for a
# wrong name, an expired and a self-signed certificate; a TLS 1.0/1.1-only
# server against --tls-min; client certificates, SNI and --tls-keylog as
# the sink records them; `handshake expect fail` against a handshake the
# sink aborts. Certificates come from openssl(1) (srv_certs) and from the
# sink itself (--tls-cert-out). The JSON is read by Python's parser.
# Usage: tls_sink.sh SMTPSUITE_BINARY
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/servers/lib.sh
. "$HERE/../servers/lib.sh"
srv_init "$1"
srv_certs
CASES=$HERE/cases/tls
fails=0

# client NAME WANT_EXIT CASE [run options]: runs the client against the
# last sink; the result is $SRV_DIR/NAME.json, the console NAME.out.
client() {
  local name=$1 want=$2 case=$3 rc=0
  shift 3
  "$SMTPSUITE" run --target "127.0.0.1:$SINK_PORT" --json "$SRV_DIR/$name.json" \
    "$@" "$CASES/$case.smtp" > "$SRV_DIR/$name.out" 2>&1 || rc=$?
  if [ "$rc" != "$want" ]; then
    cat "$SRV_DIR/$name.out"
    echo "FAILED $name: exit $rc, want $want"
    fails=$((fails + 1))
    return 1
  fi
}

# check NAME EXPR...: facts of NAME.json (tests/e2e/result_check.py).
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

# logged PATTERN: the last sink's log has a line matching PATTERN.
logged() {
  if grep -q -E -- "$1" "$SINK_DIR/log"; then
    echo "ok sink log: $1"
  else
    echo "FAILED sink log lacks /$1/:"
    tail -n 20 "$SINK_DIR/log"
    fails=$((fails + 1))
  fi
}

CA_SERVED=() # trust the certificate the last sink serves
served() { CA_SERVED=(--tls-ca-file "$SINK_DIR/cert.pem"); }

# ---- STARTTLS, verification off: the facts are still recorded ------------
srv_sink
client starttls 0 at-least-tls12 --tls starttls &&
  check starttls "c['verdict'] == 'PASS'" "t['protocol'] == 'TLSv1.3'" \
    "t['cipher'].startswith('TLS_')" "t['verified'] == -1" \
    "'CN=localhost' in t['chain'][0]['subject']" \
    "'BEGIN CERTIFICATE' in t['chain'][0]['pem']" \
    "'STARTTLS' not in c['connections'][0]['ehlo_tls']" \
    "'STARTTLS' in c['connections'][0]['ehlo']"
logged 'tls TLSv1.3 TLS_[A-Z0-9_]+ sni=- client-cert=-'
# the sink's own certificate trusted, the name checked: verified
served
client served 0 verified --tls starttls "${CA_SERVED[@]}" --tls-check-name \
  --tls-servername localhost &&
  check served "t['verified'] == 1" "t['sni'] == 'localhost'"
logged 'sni=localhost '
srv_stop_sink

# ---- a CA-signed certificate, a client certificate, SNI, the key log -----
srv_sink --tls-cert "$SRV_CERT" --tls-key "$SRV_KEY" --tls-client-cert request \
  --tls-client-ca "$SRV_CA"
client ca-file 0 verified --tls starttls --tls-ca-file "$SRV_CA" --tls-check-name \
  --tls-servername sink.test --tls-cert "$SRV_CLIENT_CERT" \
  --tls-key "$SRV_CLIENT_KEY" --tls-keylog "$SRV_DIR/keylog" &&
  check ca-file "t['verified'] == 1" "t['sni'] == 'sink.test'" \
    "t['chain'][0]['issuer'] == 'CN=smtpsuite test CA'"
logged 'sni=sink\.test client-cert=/CN=client\.test \(verified\)'
# SSLKEYLOGFILE: one line per secret, label, 32-octet client random, secret
if grep -q -E '^CLIENT_TRAFFIC_SECRET_0 [0-9a-f]{64} [0-9a-f]{64,96}$' "$SRV_DIR/keylog" &&
  ! grep -q -v -E '^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]+$' "$SRV_DIR/keylog"; then
  echo "ok --tls-keylog: $(wc -l < "$SRV_DIR/keylog") SSLKEYLOGFILE lines"
else
  echo "FAILED --tls-keylog:"; cat "$SRV_DIR/keylog"; fails=$((fails + 1))
fi
# no SNI: the sink sees none; a name check against the wrong name fails
client no-sni 0 noop --tls starttls --tls-no-sni && check no-sni "'sni' not in t"
logged 'sni=- client-cert=-'
client wrong-host 3 noop --tls starttls --tls-ca-file "$SRV_CA" --tls-check-name \
  --tls-servername mail.example &&
  check wrong-host "c['verdict'] == 'ERROR'" "c['category'] == 'tls'" \
    "'certificate verify failed: hostname mismatch (host mail.example)' in c['reason']"
srv_stop_sink

# ---- a client certificate required ------------------------------------------
srv_sink --tls-cert "$SRV_CERT" --tls-key "$SRV_KEY" --tls-client-cert require \
  --tls-client-ca "$SRV_CA"
client client-cert 0 noop --tls starttls --tls-cert "$SRV_CLIENT_CERT" \
  --tls-key "$SRV_CLIENT_KEY" && check client-cert "c['verdict'] == 'PASS'"
logged 'client-cert=/CN=client\.test \(verified\)'
client no-client-cert 3 noop --tls starttls && check no-client-cert "c['verdict'] == 'ERROR'"
logged 'tls handshake failed: .*certificate'
srv_stop_sink

# ---- implicit TLS (RFC 8314) -------------------------------------------------
srv_sink --profile implicit-tls
served
client implicit 0 at-least-tls12 --tls implicit "${CA_SERVED[@]}" --tls-check-name \
  --tls-servername localhost &&
  check implicit "c['verdict'] == 'PASS'" "t['protocol'] == 'TLSv1.3'" \
    "t['verified'] == 1" "c['connections'][0]['banner'].startswith('localhost ESMTP')"
client implicit-plain 3 noop --tls none && check implicit-plain "c['verdict'] == 'ERROR'"
srv_stop_sink

# ---- the certificate faults: each fails on exactly its fault ----------------
srv_sink --fault tls-wrong-name-cert
served
client wrong-name 3 noop --tls starttls "${CA_SERVED[@]}" --tls-check-name \
  --tls-servername localhost &&
  check wrong-name "c['category'] == 'tls'" \
    "'certificate verify failed: hostname mismatch (host localhost)' in c['reason']"
srv_stop_sink
srv_sink --fault tls-expired-cert
served
client expired 3 noop --tls starttls "${CA_SERVED[@]}" &&
  check expired "c['category'] == 'tls'" \
    "'certificate verify failed: certificate has expired' in c['reason']"
# without verification the same certificate is recorded, and why it would fail
client expired-unchecked 0 noop --tls starttls &&
  check expired-unchecked "t['verified'] == -1" \
    "t['chain'][0]['not_after'] < d['started']"
srv_stop_sink
srv_sink --tls-cert "$SRV_CERT" --tls-key "$SRV_KEY" --fault tls-self-signed-cert
client self-signed 3 noop --tls starttls --tls-ca-file "$SRV_CA" &&
  check self-signed "c['category'] == 'tls'" \
    "'certificate verify failed: self-signed certificate' in c['reason']"
srv_stop_sink
srv_sink
client system-store 3 noop --tls starttls --tls-verify system &&
  check system-store "'self-signed certificate' in c['reason']"
srv_stop_sink

# ---- a TLS 1.0/1.1-only server ----------------------------------------------
srv_sink --fault tls-old-only
client old-min12 3 noop --tls starttls --tls-min TLSv1.2 &&
  check old-min12 "c['category'] == 'tls'"
client old-min10 0 noop --tls starttls --tls-min TLSv1 &&
  check old-min10 "t['protocol'] == 'TLSv1.1'"
# tls_version() in a case sees it: "protocol at least TLS 1.2" fails
client old-assert 1 at-least-tls12 --tls starttls --tls-min TLSv1 &&
  check old-assert "c['verdict'] == 'FAIL'" "'tls_version() >= 12' in c['reason']"
logged 'tls TLSv1\.1 '
srv_stop_sink

# ---- a handshake the sink aborts, and cases that expect it ------------------
srv_sink --fault tls-handshake-fail
client aborted 3 noop --tls starttls &&
  check aborted "c['category'] == 'tls'" "'handshake failure' in c['reason']"
client must-fail 0 handshake-must-fail &&
  check must-fail "c['verdict'] == 'PASS'" \
    "[s['grade'] for s in c['steps'] if s['name'] == 'tls'] == ['PASS']" \
    "[s['key'] for s in c['steps'] if s['name'] == 'tls'] == [True]"
logged 'tls handshake failed: '
srv_stop_sink
srv_sink --profile implicit-tls --fault tls-handshake-fail
client implicit-aborted 3 noop --tls implicit &&
  check implicit-aborted "'handshake failure' in c['reason']"
srv_stop_sink
srv_sink
client must-fail-works 1 handshake-must-fail &&
  check must-fail-works "c['verdict'] == 'FAIL'" \
    "'succeeded (TLSv1.3' in c['reason']"
srv_stop_sink

[ "$fails" = 0 ] || srv_fail "$fails checks failed"
echo "all TLS checks passed"
