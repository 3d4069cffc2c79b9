#!/usr/bin/env bash
# The version has one source, project() in CMakeLists.txt, and every
# consumer says the same: 'smtpsuite --version' (then the libraries it
# runs with, as pkg-config knows them), the JSON result file and the JUnit
# report of a run (tool_version), every man page, the bash completion and
# CPack's package version. No source file defines a version of its own.
# The .deb itself is checked by package_deb.sh and in the chroot.
# Usage: version.sh SMTPSUITE VERSION BUILD_DIR SOURCE_DIR
set -u
# shellcheck source=tests/servers/lib.sh
. "$(dirname "$0")/../servers/lib.sh"
srv_init "$1"
VERSION=$2 BUILD=$3 SRC=$4

[ "$(sed -n 's/^project(smtpsuite VERSION \([^ ]*\) .*/\1/p' "$SRC/CMakeLists.txt")" = "$VERSION" ] ||
  srv_fail "CMakeLists.txt's project() does not say $VERSION"
own=$(grep -rnE '#[[:space:]]*define[[:space:]]+SMTPSUITE_VERSION|SMTPSUITE_VERSION[[:space:]]*=' \
  "$SRC"/harness "$SRC"/suite "$SRC"/reports "$SRC"/completion "$SRC"/scripts 2>/dev/null)
[ -z "$own" ] || srv_fail "a version defined outside project(): $own"

# --version: the version, then the libraries.
mapfile -t lines < <("$SMTPSUITE" --version)
[ "${lines[0]}" = "smtpsuite $VERSION" ] || srv_fail "--version says '${lines[0]}', want 'smtpsuite $VERSION'"
want=("libevent $(pkg-config --modversion libevent)"
  "OpenSSL $(pkg-config --modversion openssl) "
  "libxml2 $(pkg-config --modversion libxml-2.0)"
  "jansson $(pkg-config --modversion jansson)")
for w in "${want[@]}"; do
  printf '%s\n' "${lines[@]:1}" | grep -qF -- "$w" || srv_fail "--version lacks '$w': ${lines[*]}"
done

# A run's result file and JUnit report.
srv_sink --quiet
"$SMTPSUITE" run "$SRC/cases/core/noop-ok.smtp" -q --target-file "$SRC/cases/targets/sink.target" \
  --target "127.0.0.1:$SINK_PORT" \
  --json "$SRV_DIR/r.json" --junit "$SRV_DIR/r.xml" || srv_fail "the run failed"
got=$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["tool_version"])' "$SRV_DIR/r.json")
[ "$got" = "$VERSION" ] || srv_fail "the result file says tool_version '$got', want '$VERSION'"
got=$(xmllint --xpath 'string(//property[@name="tool_version"]/@value)' "$SRV_DIR/r.xml")
[ "$got" = "$VERSION" ] || srv_fail "the JUnit report says tool_version '$got', want '$VERSION'"

# The man pages, the completion, CPack.
for page in "$BUILD"/man/*.[1-9]; do
  grep -qE "^\.TH [^ ]+ [1-9] \"[^\"]*\" \"smtpsuite $VERSION\"" "$page" ||
    srv_fail "$(basename "$page"): .TH does not carry smtpsuite $VERSION"
done
grep -qxF "# Generated from the option tables of smtpsuite $VERSION." "$BUILD/completion/smtpsuite" ||
  srv_fail "the bash completion was generated from another version"
grep -qxF "set(CPACK_PACKAGE_VERSION \"$VERSION\")" "$BUILD/CPackConfig.cmake" ||
  srv_fail "CPack's package version is not $VERSION"
echo "== smtpsuite $VERSION everywhere: --version, result file, JUnit, man pages, completion, CPack"
