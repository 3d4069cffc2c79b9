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

mounted=()
cleanup() {
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null; done
  [ "$keep" = yes ] || rm -rf "$CHROOT"
}
trap cleanup EXIT

mkdir -p "$WORK"
rm -rf "$CHROOT"
mkdir -p "$CHROOT"
if [ "$reuse" = yes ] && [ -f "$TARBALL" ]; then
  echo "== unpacking the cached minbase chroot"
  tar -C "$CHROOT" -xzf "$TARBALL" || exit 3
else
  echo "== debootstrap --variant=minbase bookworm"
  debootstrap --variant=minbase bookworm "$CHROOT" http://deb.debian.org/debian \
    > "$WORK/debootstrap.log" 2>&1 || { tail -20 "$WORK/debootstrap.log"; exit 3; }
  tar -C "$CHROOT" -czf "$TARBALL" . 2>/dev/null
fi
# A container starts no services: neither may apt in the chroot.
printf '#!/bin/sh\nexit 101\n' > "$CHROOT/usr/sbin/policy-rc.d"
chmod +x "$CHROOT/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$CHROOT/etc/resolv.conf"
# Where this host reaches registries through a TLS-inspecting proxy, its
# CA is part of the network, not of the project: hand it to npm inside.
extra_env=
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
  cp /etc/ssl/certs/ca-certificates.crt "$CHROOT/etc/host-network-ca.crt"
  extra_env="NODE_EXTRA_CA_CERTS=/etc/host-network-ca.crt npm_config_cafile=/etc/host-network-ca.crt"
fi
for m in proc sys dev dev/pts; do
  mkdir -p "$CHROOT/$m"
  mount --bind "/$m" "$CHROOT/$m" && mounted+=("$CHROOT/$m")
done
mkdir -p "$CHROOT/dev/shm"
mount -t tmpfs shm "$CHROOT/dev/shm" && mounted+=("$CHROOT/dev/shm")

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
  # shellcheck disable=SC2086
  if chroot "$CHROOT" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
       TERM=dumb LANG=C.UTF-8 $extra_env /bin/sh -c "cd /root/smtpsuite && $*" \
       > "$WORK/$name.log" 2>&1; then
    echo "   ok ($((SECONDS - t0)) s; log: $WORK/$name.log)"
  else
    echo "   FAILED ($((SECONDS - t0)) s); last lines of $WORK/$name.log:"
    tail -40 "$WORK/$name.log" | sed 's/^/   | /'
    status=1
  fi
}
step demo ./scripts/demo
[ "$demo_only" = yes ] || step test ./scripts/test
if [ $status = 0 ]; then echo "== fresh machine: both README commands passed"; else echo "== fresh machine: FAILED"; fi
exit $status
