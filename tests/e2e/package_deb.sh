#!/usr/bin/env bash
# The Debian package scripts/package built: one smtpsuite_VERSION_ARCH.deb
# whose Version is the project's; whose Depends are Debian library
# packages (no -dev), and for every library the packaged binary needs
# (its DT_NEEDED entries) the package dpkg says ships it on this machine;
# whose files are the binary (built for the prefix /usr), the man pages,
# the completion, the docs and the whole cases/ folder.
# Usage: package_deb.sh DEB_DIR VERSION SOURCE_DIR
set -u
DEB_DIR=$1 VERSION=$2 SRC=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mapfile -t debs < <(ls "$DEB_DIR"/smtpsuite_*.deb 2>/dev/null)
[ "${#debs[@]}" = 1 ] || fail "want one smtpsuite_*.deb in $DEB_DIR, found ${#debs[@]}"
DEB=${debs[0]}
arch=$(dpkg --print-architecture)
[ "${DEB##*/}" = "smtpsuite_${VERSION}_$arch.deb" ] ||
  fail "the package is ${DEB##*/}, want smtpsuite_${VERSION}_$arch.deb"
dpkg-deb --info "$DEB"
[ "$(dpkg-deb --field "$DEB" Package)" = smtpsuite ] || fail "Package is not smtpsuite"
[ "$(dpkg-deb --field "$DEB" Version)" = "$VERSION" ] || fail "Version is not $VERSION"

# Depends: Debian library packages, one for each library the binary needs.
depends=$(dpkg-deb --field "$DEB" Depends)
names=$(tr ',' '\n' <<<"$depends" | sed 's/^ *//; s/ .*//')
grep -q -- '-dev$' <<<"$names" && fail "Depends names a -dev package: $depends"
for p in libc6 libevent-core-2.1-7 libevent-openssl-2.1-7 libssl3 libxml2 libjansson4 libidn12; do
  grep -qx -- "$p" <<<"$names" || fail "Depends lacks $p: $depends"
done
dpkg-deb -x "$DEB" "$tmp/x"
bin=$tmp/x/usr/bin/smtpsuite
[ -x "$bin" ] || fail "no usr/bin/smtpsuite in the package"
for lib in $(objdump -p "$bin" | awk '$1 == "NEEDED" { print $2 }'); do
  path=$(ldconfig -p | awk -v l="$lib" '$1 == l { print $NF; exit }')
  [ -n "$path" ] || fail "$lib (needed by the binary) is not installed here"
  owner=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -1 | cut -d: -f1)
  [ -n "$owner" ] || owner=$(dpkg -S "$path" 2>/dev/null | head -1 | cut -d: -f1)
  grep -qx -- "$owner" <<<"$names" || fail "$lib comes from $owner, which Depends lacks: $depends"
  echo "   $lib: $owner"
done
grep -qa /usr/share/smtpsuite/cases "$bin" ||
  fail "the packaged binary does not look for its cases in /usr/share/smtpsuite/cases"

# Files: man pages, completion, docs, and cases/ whole.
for f in usr/share/man/man1/smtpsuite.1 usr/share/man/man1/smtpsuite-run.1 \
    usr/share/man/man5/smtpsuite-cases.5 usr/share/man/man5/smtpsuite-targets.5 \
    usr/share/bash-completion/completions/smtpsuite usr/share/doc/smtpsuite/README.md \
    usr/share/doc/smtpsuite/docs/case-format.md; do
  [ -s "$tmp/x/$f" ] || fail "the package lacks $f"
done
diff -r --exclude='.*' "$SRC/cases" "$tmp/x/usr/share/smtpsuite/cases" ||
  fail "the package's case library differs from cases/"
echo "== ${DEB##*/}: version, dependencies and files are right"
