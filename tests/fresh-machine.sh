#!/usr/bin/env bash
# Proves the README's two commands on a fresh Debian 12: builds a
# `debootstrap --variant=minbase bookworm` chroot (what a debian:12
# container holds), clones this repository into it, and runs
# ./scripts/demo and then ./scripts/test inside as root, reporting what
# failed. Needs root, debootstrap and network access to Debian's mirror.
# Usage: tests/fresh-machine.sh [--keep] [--reuse] [--demo-only]
#   --keep       leave the chroot in place afterwards (for a post-mortem)
#   --reuse      start from the cached minbase tarball if one exists
#   --demo-only  run only the main job (quicker)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${FRESH_DIR:-/var/tmp/smtpsuite-fresh}
CHROOT=$WORK/root
TARBALL=$WORK/minbase.tgz
keep=no reuse=no demo_only=no
for a in "$@"; do
  case "$a" in
    --keep) keep=yes ;;
    --reuse) reuse=yes ;;
    --demo-only) demo_only=yes ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "tests/fresh-machine.sh: unknown option '$a'" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "tests/fresh-machine.sh: run as root" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "tests/fresh-machine.sh: needs debootstrap (scripts/setup --all)" >&2; exit 2; }

# shellcheck source=tests/chroot.sh
. "$ROOT/tests/chroot.sh"
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  chroot_umount
  [ "$keep" = yes ] || chroot_remove "$CHROOT"
}
trap cleanup EXIT

mkdir -p "$WORK"
if [ "$reuse" = yes ]; then
  chroot_bootstrap "$CHROOT" "$WORK/debootstrap.log" "$TARBALL" reuse || exit 3
else
  chroot_bootstrap "$CHROOT" "$WORK/debootstrap.log" "$TARBALL" || exit 3
fi
chroot_mount "$CHROOT"

# The clone: what is committed on the current branch, nothing else.
echo "== cloning $(git -C "$ROOT" rev-parse --short HEAD) into the chroot"
git clone -q "$ROOT" "$CHROOT/root/smtpsuite" 2>/dev/null ||
  { # the chroot has no git yet: clone from outside
    rm -rf "$CHROOT/root/smtpsuite"
    git clone -q --no-hardlinks "$ROOT" "$CHROOT/root/smtpsuite"
  }

status=0
step() {
  local name=$1; shift
  echo "== $name"
  local t0=$SECONDS
  if chroot_sh "$CHROOT" /root/smtpsuite "$*" > "$WORK/$name.log" 2>&1; then
    echo "   ok ($((SECONDS - t0)) s; log: $WORK/$name.log)"
  else
    echo "   FAILED ($((SECONDS - t0)) s); last lines of $WORK/$name.log:"
    tail -40 "$WORK/$name.log" | sed 's/^/   | /'
    status=1
  fi
}
step demo ./scripts/demo
[ "$demo_only" = yes ] || step test ./scripts/test
passed="both README commands passed"
[ "$demo_only" = yes ] && passed="the main job passed (--demo-only: the tests did not run)"
if [ $status = 0 ]; then echo "== fresh machine: $passed"; else echo "== fresh machine: FAILED"; fi
exit $status
