#!/usr/bin/env bash
# cmake --install into a folder: every file where GNUInstallDirs puts it
# (the binary, a man page per verb and for the case and target formats,
# the bash completion, README and docs), man(1) finds the pages there, the
# case library is the source's cases/ folder whole (a copy of the
# folders, not a list of files), the installed library checks clean and
# its smoke suite passes against the sink, run by name through
# $SMTPSUITE_CASES_DIR from a folder without cases/; and the binary's
# own fallback is PREFIX/share/smtpsuite/cases of the build's prefix.
# Usage: install.sh SMTPSUITE BUILD_DIR SOURCE_DIR
set -u
# shellcheck source=tests/servers/lib.sh
. "$(dirname "$0")/../servers/lib.sh"
srv_init "$1"
BUILD=$(cd "$2" && pwd) SRC=$(cd "$3" && pwd)
DEST=$SRV_DIR/prefix
cmake --install "$BUILD" --prefix "$DEST" > "$SRV_DIR/install.log" ||
  { cat "$SRV_DIR/install.log"; srv_fail "cmake --install failed"; }

want=(bin/smtpsuite share/bash-completion/completions/smtpsuite
  share/doc/smtpsuite/README.md share/man/man5/smtpsuite-cases.5
  share/man/man5/smtpsuite-targets.5 share/man/man1/smtpsuite.1
  share/smtpsuite/cases/suites/smoke.suite share/smtpsuite/cases/targets/sink.target)
for verb in $("$SMTPSUITE" --help | awk '/^verbs:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }'); do
  want+=("share/man/man1/smtpsuite-$verb.1")
done
for f in "$SRC"/docs/*.md; do want+=("share/doc/smtpsuite/docs/${f##*/}"); done
for f in "${want[@]}"; do
  [ -s "$DEST/$f" ] || srv_fail "cmake --install did not install $f"
done
[ -x "$DEST/bin/smtpsuite" ] || srv_fail "bin/smtpsuite is not executable"
echo "== ${#want[@]} files in place under $DEST"

# man(1) finds every page by name in the installed tree.
for page in "$DEST"/share/man/man*/*; do
  name=${page##*/}
  found=$(MANPATH=$DEST/share/man man -w "${name##*.}" "${name%.*}" 2>&1)
  [ "$found" = "$page" ] || srv_fail "man -w ${name%.*}: got '$found' want '$page'"
done

# The library is the cases/ folder, whole.
diff -r --exclude='.*' "$SRC/cases" "$DEST/share/smtpsuite/cases" ||
  srv_fail "the installed case library differs from cases/"
echo "== the installed library is cases/ ($(find "$SRC/cases" -type f ! -name '.*' | wc -l) files)"

LIB=$DEST/share/smtpsuite/cases
"$DEST/bin/smtpsuite" check "$LIB" || srv_fail "the installed library does not check clean"

# From a folder without cases/, the smoke suite by name from the installed
# library, the target from the installed examples.
mkdir -p "$SRV_DIR/elsewhere"
cd "$SRV_DIR/elsewhere" || exit 1
srv_sink --quiet
SMTPSUITE_CASES_DIR=$LIB "$DEST/bin/smtpsuite" run smoke -q \
  --target-file "$LIB/targets/sink.target" --target "127.0.0.1:$SINK_PORT" ||
  srv_fail "the smoke suite from the installed library failed"

# Without --cases-dir and $SMTPSUITE_CASES_DIR, outside a checkout, the
# binary looks in the build's PREFIX/share/smtpsuite/cases.
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$BUILD/CMakeCache.txt")
msg=$(env -u SMTPSUITE_CASES_DIR "$DEST/bin/smtpsuite" run nosuchsuite-$$ --list 2>&1)
case $msg in
  *"no suite $prefix/share/smtpsuite/cases/suites/nosuchsuite-$$.suite"*) ;;
  *) srv_fail "the installed library is not under the prefix $prefix: $msg" ;;
esac
echo "== cmake --install: files, man pages, library and search path are right"
