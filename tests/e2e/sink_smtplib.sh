#!/bin/bash
# The sink driven by Python's smtplib: several recipients, dot lines,
# SIZE at MAIL and at end of data, 8BITMIME, SMTPUTF8, the small
# commands; the arrival log is checked against what was sent.
# Usage: sink_smtplib.sh SMTPSUITE_BINARY
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/servers/lib.sh
. "$HERE/../servers/lib.sh"
srv_init "$1"
srv_sink --size-limit 100000
$SRV_PY "$HERE/sink_smtplib.py" "$SINK_PORT" "$SINK_DIR/arrivals.jsonl"
echo PASS
