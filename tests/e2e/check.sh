#!/bin/sh
# End-to-end test of 'smtpsuite check': the shipped library is clean (also
# with CRLF line endings), broken files give every error with
# file:line:col and exit 2, selection and suites work, --help is whole.
# Usage: tests/e2e/check.sh SMTPSUITE_BINARY
set -eu
bin=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }
cd "$src"

# 1. the library, its suites and targets
out=$("$bin" check cases) || fail "check cases exited $?"
echo "$out" | grep -Eq '^smtpsuite check: [0-9]+ cases, [0-9]+ files, [0-9]+ targets: OK$' ||
  fail "summary: $out"
out=$("$bin" check --cases-dir cases smoke) || fail "check smoke"
[ "$out" = "smtpsuite check: 12 cases, 14 files: OK" ] || fail "smoke: $out"
out=$("$bin" check --tags 'cat:SMUG-01' --id 'smug.lf-*' cases) || fail "tags"
echo "$out" | grep -q '^smtpsuite check: 2 of [0-9]* cases selected' || fail "selection: $out"
"$bin" check --quiet cases >"$tmp/q" || fail "quiet"
[ ! -s "$tmp/q" ] || fail "--quiet printed: $(cat "$tmp/q")"

# 2. the same library with CRLF line endings checks the same
cp -r cases "$tmp/crlf"
find "$tmp/crlf" -type f -exec sed -i 's/$/\r/' {} +
out=$("$bin" check "$tmp/crlf") || fail "CRLF library"
echo "$out" | grep -q 'targets: OK$' || fail "CRLF: $out"

# 3. every error of every file, then exit 2
mkdir "$tmp/bad"
printf 'id: bad.one.x\ntitle: t\nrfc: r\nseverity: must\nopen\nsned\nC: ${nope}\n' >"$tmp/bad/a.smtp"
printf 'id: bad.one.x\ntitle: t\nrfc: r\nseverity: often\nopen\nS: 250 /(/\n' >"$tmp/bad/b.smtp"
printf 'id: bad.two.x\ntitle: t\nrfc: r\nseverity: must\nopen\nC: NOOP\n! S: 250\n' >"$tmp/bad/c.smtp"
printf 'address: nowhere\nsecret pass = hunter2\n' >"$tmp/bad/x.target"
set +e
"$bin" check "$tmp/bad" >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
[ $rc -eq 2 ] || fail "broken files exited $rc"
for want in "$tmp/bad/a.smtp:6:1: unknown statement 'sned'" \
            "$tmp/bad/a.smtp:7:6: variable 'nope' is not declared" \
            "$tmp/bad/b.smtp:4:11: unknown severity 'often'" \
            "$tmp/bad/b.smtp:6:8: bad regular expression" \
            "$tmp/bad/x.target:1:10: 'nowhere': want HOST:PORT" \
            "$tmp/bad/x.target:2:15: a secret comes from env:VAR or file:PATH" \
            "errors in case files and suites, 1 target file with errors"; do
  grep -qF "$want" "$tmp/err" || fail "missing '$want' in: $(cat "$tmp/err")"
done
grep -q hunter2 "$tmp/err" && fail "a secret reached the output"
# the caret line follows the source line
grep -A2 "a.smtp:6:1:" "$tmp/err" | sed -n 3p | grep -q '^ *| \^$' || fail "caret"

# duplicate ids name both files
printf 'id: core.noop.ok\ntitle: t\nrfc: r\nseverity: must\nopen\nC: NOOP\n! S: 250\n' >"$tmp/dup.smtp"
set +e
"$bin" check cases/core "$tmp/dup.smtp" 2>"$tmp/err" >/dev/null
rc=$?
set -e
[ $rc -eq 2 ] || fail "duplicate ids exited $rc"
grep -qF "$tmp/dup.smtp:1:5: duplicate id 'core.noop.ok' (first in cases/core/noop-ok.smtp:1)" \
  "$tmp/err" || fail "duplicate: $(cat "$tmp/err")"

# 4. usage
set +e
"$bin" check >/dev/null 2>&1; [ $? -eq 2 ] || fail "no PATH"
"$bin" check --tags 'nosuchtag' cases >/dev/null 2>"$tmp/err"; rc=$?
set -e
[ $rc -eq 2 ] || fail "nothing selected exited $rc"
grep -q 'no case selected' "$tmp/err" || fail "nothing selected: $(cat "$tmp/err")"
"$bin" check --help >"$tmp/help" || fail "--help"
for opt in --id --tags --cases-dir --target-file --quiet 'exit status'; do
  grep -q -- "$opt" "$tmp/help" || fail "--help lacks $opt"
done
echo "check: OK"
