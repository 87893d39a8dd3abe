#!/usr/bin/env bash
# Build (or reuse) a Debian trixie chroot holding gnupg 2.4.x for the e2e matrix.
# The mirror is taken from this machine's own apt sources, so no host name lives in the repo.
# Usage: .ci/trixie_chroot.sh [DIR]   (default: $SCD_TS_CHROOT or /var/cache/scd-ts/trixie)
set -euo pipefail
dir=${1:-${SCD_TS_CHROOT:-/var/cache/scd-ts/trixie}}
packages=(gpg gpg-agent scdaemon gpgsm openssh-client pcscd libpcsclite1 procps)

if [ -x "$dir/usr/bin/gpg" ] && [ -f "$dir/.scd-ts-ready" ]; then
  echo "trixie chroot: reusing $dir ($(chroot "$dir" gpg --version | head -1))"
  exit 0
fi

mirror=$(grep -rhoE '(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
  | grep -oE 'https?://[^ ]+' | grep -v security | head -1)
if [ -z "$mirror" ]; then
  echo "trixie chroot: no Debian mirror found in /etc/apt/sources*" >&2
  exit 1
fi
echo "trixie chroot: debootstrap into $dir from the machine's Debian mirror"
rm -rf "$dir"
mkdir -p "$(dirname "$dir")"
debootstrap --variant=minbase --include="$(IFS=,; echo "${packages[*]}")" trixie "$dir" "$mirror" \
  > "$dir.debootstrap.log" 2>&1 || { tail -30 "$dir.debootstrap.log" >&2; exit 1; }
touch "$dir/.scd-ts-ready"
echo "trixie chroot: ready ($(chroot "$dir" gpg --version | head -1))"
