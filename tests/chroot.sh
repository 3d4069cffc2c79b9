# shellcheck shell=bash
# A fresh Debian 12 for tests: a `debootstrap --variant=minbase bookworm`
# chroot (what a debian:12 container holds), set up the way a container
# runs (no services, the host's DNS, /proc, /sys, /dev), and torn down
# without touching the host. Sourced by tests/fresh-machine.sh and
# tests/e2e/package_chroot.sh; needs root, debootstrap and network access
# to Debian's mirror.
#
#   chroot_bootstrap ROOT LOG [TARBALL [reuse]]
#   chroot_mount ROOT
#   chroot_sh ROOT DIR COMMAND
#   chroot_umount
#   chroot_remove ROOT

CHROOT_MIRROR=${CHROOT_MIRROR:-http://deb.debian.org/debian}
CHROOT_MOUNTS=()

# A minbase bookworm in ROOT (emptied first), debootstrap's output in LOG.
# With TARBALL, the new tree is also packed there; with "reuse", an
# existing TARBALL is unpacked instead of running debootstrap. Returns 3
# when debootstrap fails (its last lines are printed).
chroot_bootstrap() {
  local root=$1 log=$2 tarball=${3:-} reuse=${4:-no}
  chroot_remove "$root" || return 3
  mkdir -p "$root"
  if [ "$reuse" = reuse ] && [ -n "$tarball" ] && [ -f "$tarball" ]; then
    echo "== unpacking the cached minbase chroot"
    tar -C "$root" -xzf "$tarball" || return 3
    return 0
  fi
  echo "== debootstrap --variant=minbase bookworm"
  debootstrap --variant=minbase bookworm "$root" "$CHROOT_MIRROR" \
    > "$log" 2>&1 || { tail -20 "$log"; return 3; }
  [ -z "$tarball" ] || tar -C "$root" -czf "$tarball" . 2>/dev/null
}

# Sets ROOT up as a container runs: apt starts no services, the host's
# resolver, /proc, /sys, /dev, /dev/pts and a private /dev/shm.
chroot_mount() {
  local root=$1 m
  printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
  chmod +x "$root/usr/sbin/policy-rc.d"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  # Where this host reaches registries through a TLS-inspecting proxy, its
  # CA is part of the network, not of the project: npm inside gets it.
  if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
    cp /etc/ssl/certs/ca-certificates.crt "$root/etc/host-network-ca.crt"
  fi
  for m in proc sys dev dev/pts; do
    mkdir -p "$root/$m"
    mount --bind "/$m" "$root/$m" && CHROOT_MOUNTS+=("$root/$m")
  done
  mkdir -p "$root/dev/shm"
  mount -t tmpfs shm "$root/dev/shm" && CHROOT_MOUNTS+=("$root/dev/shm")
}

# Runs COMMAND with /bin/sh in DIR inside ROOT, as root, with a clean
# environment (nothing of the caller's leaks in).
chroot_sh() {
  local root=$1 dir=$2 cmd=$3 ca=()
  [ -f "$root/etc/host-network-ca.crt" ] &&
    ca=(NODE_EXTRA_CA_CERTS=/etc/host-network-ca.crt npm_config_cafile=/etc/host-network-ca.crt)
  chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    TERM=dumb LANG=C.UTF-8 "${ca[@]}" /bin/sh -c "cd $dir && $cmd"
}

# Undoes chroot_mount, innermost first.
chroot_umount() {
  local i
  for ((i = ${#CHROOT_MOUNTS[@]} - 1; i >= 0; i--)); do
    umount -l "${CHROOT_MOUNTS[$i]}" 2>/dev/null
  done
  CHROOT_MOUNTS=()
}

# Deletes ROOT, unless something is still mounted under it (then the
# host's /dev would go with it): returns 1 and deletes nothing.
chroot_remove() {
  local root=$1
  [ -e "$root" ] || return 0
  root=$(cd "$root" && pwd -P)
  if awk -v r="$root/" '$2 == substr(r, 1, length(r) - 1) || index($2, r) == 1 { f = 1 } END { exit !f }' /proc/mounts; then
    echo "chroot: $root still has mounts; not deleting it" >&2
    return 1
  fi
  rm -rf --one-file-system "$root"
}
