#!/usr/bin/env bash
# The Debian package on a bare Debian 12: a fresh `debootstrap
# --variant=minbase bookworm` chroot (tests/chroot.sh), `apt install
# ./smtpsuite_*.deb` inside it, then from / and with nothing but the
# installed files: the version agrees with the package's, the binary's
# libraries all resolve, the smoke suite runs by name against the sink
# from the installed library and target (exit 0, 12 passed), the man pages
# and the bash completion are where they belong and the completion finds
# the installed suites. Needs root, debootstrap and network access to
# deb.debian.org. The chroot lives in WORK (in the build folder) and goes
# away at the end; the minbase tarball is kept there for the next run
# (a pristine debootstrap, unpacked afresh each time).
# Usage: package_chroot.sh DEB_DIR WORK VERSION
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
DEB_DIR=$1 WORK=$2 VERSION=$3
ROOT=$WORK/root
fail() { echo "FAIL: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "needs root (debootstrap, chroot, mount)"
command -v debootstrap >/dev/null || fail "needs debootstrap (scripts/setup --all)"
mapfile -t debs < <(ls "$DEB_DIR"/smtpsuite_*.deb 2>/dev/null)
[ "${#debs[@]}" = 1 ] || fail "want one smtpsuite_*.deb in $DEB_DIR, found ${#debs[@]}"
DEB=${debs[0]}
echo "== package: $DEB ($(dpkg-deb --field "$DEB" Version))"

# shellcheck source=tests/chroot.sh
. "$HERE/../chroot.sh"
# Processes started inside the chroot (the sink, if a step was cut off):
# ours, found by their root folder, stopped by id.
stop_chroot_processes() {
  local p r
  for p in /proc/[0-9]*; do
    r=$(readlink "$p/root" 2>/dev/null) || continue
    [ "$r" = "$ROOT" ] && kill "${p#/proc/}" 2>/dev/null
  done
  return 0
}
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  stop_chroot_processes
  chroot_umount
  chroot_remove "$ROOT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$WORK"
ROOT=$(cd "$WORK" && pwd -P)/root
t0=$SECONDS
chroot_bootstrap "$ROOT" "$WORK/debootstrap.log" "$WORK/minbase.tgz" reuse ||
  fail "could not build the chroot (log: $WORK/debootstrap.log)"
echo "   $((SECONDS - t0)) s"
chroot_mount "$ROOT"
[ ! -e "$ROOT/usr/bin/smtpsuite" ] || fail "the fresh chroot already has smtpsuite"
cp "$DEB" "$ROOT/tmp/"

step() {
  local name=$1 cmd=$2 t=$SECONDS
  echo "== $name"
  chroot_sh "$ROOT" / "$cmd" > "$WORK/$name.log" 2>&1
  local rc=$?
  sed 's/^/   | /' "$WORK/$name.log" | tail -n 40
  echo "   exit $rc, $((SECONDS - t)) s"
  return $rc
}

step apt-install "apt-get update -q && DEBIAN_FRONTEND=noninteractive \
  apt install -y -q /tmp/$(basename "$DEB")" || fail "apt install failed"

# The checks run inside, from /, with the installed files only.
cat > "$ROOT/tmp/installed.sh" <<'SH'
set -u
VERSION=$1
fail() { echo "FAIL: $*"; exit 1; }
cd /
[ "$(command -v smtpsuite)" = /usr/bin/smtpsuite ] || fail "smtpsuite is not /usr/bin/smtpsuite"
ldd /usr/bin/smtpsuite | grep -q 'not found' && fail "unresolved libraries: $(ldd /usr/bin/smtpsuite)"
got=$(smtpsuite --version | head -n 1)
[ "$got" = "smtpsuite $VERSION" ] || fail "--version says '$got', want 'smtpsuite $VERSION'"
pkg=$(dpkg-query -W -f '${Version}' smtpsuite)
[ "$pkg" = "$VERSION" ] || fail "the installed package is version '$pkg', want '$VERSION'"
smtpsuite --version
for f in /usr/share/man/man1/smtpsuite.1 /usr/share/man/man1/smtpsuite-run.1 \
    /usr/share/man/man5/smtpsuite-cases.5 /usr/share/bash-completion/completions/smtpsuite \
    /usr/share/smtpsuite/cases/suites/smoke.suite /usr/share/doc/smtpsuite/README.md; do
  [ -s "$f" ] || fail "$f is missing"
done

rm -f /tmp/port
smtpsuite sink --listen 127.0.0.1:0 --port-file /tmp/port --quiet &
sink=$!
trap 'kill $sink 2>/dev/null' EXIT
i=0
while [ ! -s /tmp/port ]; do
  i=$((i + 1))
  [ $i -le 200 ] && kill -0 $sink 2>/dev/null || fail "the sink did not start"
  sleep 0.05
done
port=$(cat /tmp/port)
echo "== smtpsuite run smoke against the sink on 127.0.0.1:$port, from $(pwd)"
smtpsuite run smoke --target-file /usr/share/smtpsuite/cases/targets/sink.target \
  --target "127.0.0.1:$port" --junit /tmp/smoke.xml > /tmp/run.log 2>&1
rc=$?
cat /tmp/run.log
[ $rc = 0 ] || fail "smtpsuite run smoke exited $rc, want 0"
grep -q '^12 passed, 0 failed' /tmp/run.log || fail "want 12 passed, 0 failed"
grep -q "name=\"tool_version\" value=\"$VERSION\"" /tmp/smoke.xml ||
  fail "the JUnit report does not carry tool_version $VERSION"
kill $sink
wait $sink
src=$?
trap - EXIT
[ $src = 0 ] || fail "the sink exited $src on SIGTERM, want 0"

# The completion, as bash loads it, completes suites from the installed library.
words=$(bash -c '. /usr/share/bash-completion/completions/smtpsuite
  COMP_WORDS=(smtpsuite run sm); COMP_CWORD=2; _smtpsuite; echo "${COMPREPLY[*]}"')
[ "$words" = smoke ] || fail "completing 'smtpsuite run sm' gave '$words', want 'smoke'"
echo "== installed smtpsuite $VERSION: smoke suite passed from /, completion works"
SH
step installed "sh /tmp/installed.sh '$VERSION'" || fail "the installed package does not work"
echo "== bare Debian 12: apt install ./$(basename "$DEB") and the smoke suite passed ($((SECONDS - t0)) s)"
