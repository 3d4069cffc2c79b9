#!/bin/sh
# e2e: the JUnit writer, whatever the input. For each fixture (hostile
# bytes: a reply with every byte 0x00-0xff, overlong UTF-8 C0 80, a lone
# surrogate ED A0 80, U+FFFE and a 1 MiB line, raw in titles, reasons and
# names too; every verdict; a load run; two targets; 300 cases), rendered
# from the JSON file and straight from memory, with and without --strict:
#   - xmllint validates the file against tests/schema/junit.xsd;
#   - no CDATA section appears;
#   - Python's junitparser reads back the counts of the JSON summary.
# Usage: junit_hostile.sh REPORT_TOOL OUTDIR
set -eu
tool=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
schema=$here/../schema/junit.xsd
rm -rf "$out"
mkdir -p "$out"

fail=0
check() { # check XML JSON [--strict] [--ids]
  xml=$1
  json=$2
  shift 2
  if ! xmllint --noout --schema "$schema" "$xml" 2>"$xml.lint"; then
    echo "FAIL: $xml does not validate:" >&2
    head -5 "$xml.lint" >&2
    fail=1
  fi
  if grep -q 'CDATA' "$xml"; then
    echo "FAIL: $xml has a CDATA section" >&2
    fail=1
  fi
  /usr/bin/python3 "$here/junit_counts.py" "$xml" "$json" "$@" || fail=1
}

for fx in hostile mixed load multi big:300; do
  n=${fx%%:*}
  ids=--ids
  [ "$n" = hostile ] && ids= # names of raw ids are escaped on purpose
  "$tool" fixture "$fx" "$out/$n.json"
  "$tool" render "$out/$n.json" junit="$out/$n.xml"
  "$tool" render "$out/$n.json" --strict junit="$out/$n-strict.xml"
  "$tool" direct "$fx" junit="$out/$n-direct.xml" json="$out/$n-direct.json"
  check "$out/$n.xml" "$out/$n.json" $ids
  check "$out/$n-strict.xml" "$out/$n.json" --strict $ids
  check "$out/$n-direct.xml" "$out/$n-direct.json"
done

# The hostile bytes are there, visibly escaped, and the 1 MiB line is cut.
for want in '\x1b' '\xc0\x80' '\xed\xa0\x80' '\xef\xbf\xbe' 'bytes in all]'; do
  if ! grep -qF "$want" "$out/hostile-direct.xml"; then
    echo "FAIL: hostile-direct.xml lacks '$want'" >&2
    fail=1
  fi
done
# No temporary file is left beside the reports.
if ls "$out" | grep -q '\.tmp\.'; then
  echo "FAIL: a temporary file was left in $out" >&2
  fail=1
fi
[ $fail -eq 0 ] && echo "junit_hostile: all files valid and counted"
exit $fail
