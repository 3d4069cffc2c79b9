#!/bin/sh
# Browser tests of the HTML report: Debian's headless Chromium, driven by
# playwright-core (tests/browser/package.json; installed by `npm ci` into
# tests/browser/node_modules when missing), loads pages made by
# report_tool and check.mjs asserts DOM facts against the JSON.
#   report   mixed, several targets, load run; screenshots in OUTDIR
#   hostile  hostile bytes everywhere, rendered from memory and from JSON
#   broken   pages with a deliberate script error, console error and
#            request: the checker must fail on each (it can fail)
#   perf     10,000 cases: size and load time into OUTDIR/perf.txt
# Usage: run.sh MODE REPORT_TOOL OUTDIR
set -eu
mode=$1
tool=$2
out=$3/$mode
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$out"
mkdir -p "$out"

if [ ! -d "$here/node_modules/playwright-core" ]; then
  echo "run.sh: installing playwright-core (npm ci)"
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
[ -x /usr/bin/chromium ] || { echo "run.sh: /usr/bin/chromium missing (scripts/setup --all)" >&2; exit 1; }

check() { node "$here/check.mjs" "$@"; }

case "$mode" in
report)
  for fx in mixed multi load big:300; do
    n=${fx%%:*}
    "$tool" fixture "$fx" "$out/$n.json"
    "$tool" render "$out/$n.json" --title "smtpsuite $n fixture" html="$out/$n.html"
  done
  check --html "$out/mixed.html" --json "$out/mixed.json" --screenshot "$out/mixed.png" --full-page
  check --html "$out/multi.html" --json "$out/multi.json"
  check --html "$out/load.html" --json "$out/load.json" --screenshot "$out/load.png" --full-page
  check --html "$out/big.html" --json "$out/big.json" --screenshot "$out/big.png"
  ;;
hostile)
  "$tool" direct hostile html="$out/hostile-direct.html" json="$out/hostile-direct.json"
  "$tool" fixture hostile "$out/hostile.json"
  "$tool" render "$out/hostile.json" html="$out/hostile.html"
  check --html "$out/hostile-direct.html" --json "$out/hostile-direct.json" --screenshot "$out/hostile.png"
  check --html "$out/hostile.html" --json "$out/hostile.json"
  ;;
broken)
  status=0
  for page in broken-script broken-console broken-fetch; do
    if check --html "$here/fixtures/$page.html" --errors-only >"$out/$page.log" 2>&1; then
      echo "FAIL: the checker passed $page.html, which has a deliberate error" >&2
      status=1
    elif ! grep -qE 'FAIL: .*(page error|console error|request for)' "$out/$page.log"; then
      echo "FAIL: the checker failed $page.html for another reason:" >&2
      cat "$out/$page.log" >&2
      status=1
    else
      echo "ok: the checker reports $page.html: $(grep -m1 'FAIL:' "$out/$page.log")"
    fi
  done
  exit $status
  ;;
perf)
  "$tool" fixture big:10000 "$out/big.json"
  "$tool" render "$out/big.json" html="$out/big.html"
  check --html "$out/big.html" --json "$out/big.json" --perf "$out/perf.txt" --screenshot "$out/big.png"
  ;;
*)
  echo "run.sh: unknown mode '$mode'" >&2
  exit 2
  ;;
esac
