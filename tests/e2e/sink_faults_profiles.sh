#!/bin/bash
# Every profile and every fault preset of the sink, checked by a raw
# client (tests/e2e/sink_raw.py) that knows only RFC 5321's reply
# format, Python's ssl module and RFC 5802: each profile gives its
# dialogue; each preset shows the deviation it names; the list of presets
# here equals the sink's own.
# Usage: sink_faults_profiles.sh SMTPSUITE_BINARY
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/servers/lib.sh
. "$HERE/../servers/lib.sh"
srv_init "$1"
RAW="$SRV_PY $HERE/sink_raw.py"
srv_certs
export SRV_CERT SRV_KEY # sink_raw.py --preset-args names them
# raw PRESET-OR-PROFILE-ARGS: a dialogue against the last sink started
raw() {
  $RAW "$@" --port "$SINK_PORT" --served "$SINK_DIR/cert.pem" --ca "$SRV_CA"
}

# The presets covered here are exactly the sink's presets.
"$SMTPSUITE" sink --list | sed -n 's/^  \([a-z0-9-][a-z0-9-]*\) .*/\1/p' |
  grep -v -x -e mx -e submission -e lmtp -e 554-greeting -e implicit-tls \
    -e tls-required | sort > "$SRV_DIR/sink-presets"
$RAW --list-presets > "$SRV_DIR/covered"
diff "$SRV_DIR/sink-presets" "$SRV_DIR/covered" ||
  srv_fail "presets and their e2e dialogues differ (< sink, > covered)"
echo "presets: $(wc -l < "$SRV_DIR/covered")"
# ... and each has its row in docs/sink.md
while read -r preset; do
  grep -q "^| \`$preset\` |" "$HERE/../../docs/sink.md" ||
    srv_fail "preset $preset has no row in docs/sink.md"
done < "$SRV_DIR/covered"

fails=0
for profile in mx submission lmtp 554-greeting submission-auth implicit-tls \
    tls-required mx-starttls; do
  # shellcheck disable=SC2046
  srv_sink $($RAW --profile-args "$profile")
  if raw --profile "$profile"; then
    echo "ok profile $profile"
  else
    echo "FAILED profile $profile"; fails=$((fails + 1))
  fi
  srv_stop_sink
done

srv_sink --local-domain y.test --local-domain sink.test
if raw --profile mx-relay; then
  echo "ok profile mx refuses relaying with --local-domain"
else
  echo "FAILED profile mx with --local-domain"; fails=$((fails + 1))
fi
srv_stop_sink
# shellcheck disable=SC2046
srv_sink $($RAW --profile-args implicit-tls-relay)
if raw --profile implicit-tls-relay; then
  echo "ok profile implicit-tls refuses relaying without AUTH (530)"
else
  echo "FAILED profile implicit-tls with --local-domain"; fails=$((fails + 1))
fi
srv_stop_sink

srv_sink --error-limit 20
if raw --profile mx-error-limit; then
  echo "ok error budget: 421 after 20 errors"
else
  echo "FAILED error budget"; fails=$((fails + 1))
fi
srv_stop_sink

while read -r preset; do
  # shellcheck disable=SC2046
  srv_sink --fault "$preset" $($RAW --preset-args "$preset")
  if raw --preset "$preset"; then
    echo "ok preset $preset"
  else
    echo "FAILED preset $preset"; fails=$((fails + 1))
  fi
  srv_stop_sink
done < "$SRV_DIR/covered"

[ "$fails" = 0 ] || srv_fail "$fails dialogues failed"
echo "PASS"
