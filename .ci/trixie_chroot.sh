#!/usr/bin/env bash
# Build (or reuse) a Debian trixie chroot holding gnupg 2.4.x for the e2e matrix.
# The mirror is taken from this machine's own apt sources, so no host name lives in the repo.
# Usage: .ci/trixie_chroot.sh [DIR]   (default: $SCD_TS_CHROOT or /var/cache/scd-ts/trixie)
#
# trixie's libpcsclite (2.3) speaks a newer client protocol than bookworm's pcscd 1.9.9
# ("service stopped" on SCardEstablishContext), so the chroot runs its own pcscd with
# vsmartcard's vpcd driver on ports 35965/35966 (see docs/testbed.md). pcscd and
# vsmartcard-vpcd are unpacked, not installed: the pcscd package depends on polkitd, which
# will not configure in a minbase chroot; pcscd runs with --disable-polkit.
set -euo pipefail
dir=${1:-${SCD_TS_CHROOT:-/var/cache/scd-ts/trixie}}
stamp=v2 # bump when the recipe below changes, so CI machines rebuild
packages=(gpg gpg-agent scdaemon gpgsm openssh-client libpcsclite1 libpolkit-gobject-1-0 procps)

# SoftHSM2 for the PKCS#11 e2e on gnupg 2.4 (issue 23): installed into a reused chroot too, so
# machines that built theirs before need no rebuild.
with_softhsm() {
  [ -e "$dir/usr/lib/softhsm/libsofthsm2.so" ] && return 0
  chroot "$dir" sh -ec 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends softhsm2' >> "$dir.softhsm.log" 2>&1 \
    || { tail -30 "$dir.softhsm.log" >&2; return 1; }
}

if [ -x "$dir/usr/bin/gpg" ] && [ "$(cat "$dir/.scd-ts-ready" 2>/dev/null)" = "$stamp" ]; then
  with_softhsm
  echo "trixie chroot: reusing $dir ($(chroot "$dir" gpg --version | head -1))"
  exit 0
fi

mirror=$(grep -rhoE '(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
  | grep -oE 'https?://[^ ]+' | grep -v security | sed -n 1p || true)
if [ -z "$mirror" ]; then
  echo "trixie chroot: no Debian mirror found in /etc/apt/sources*" >&2
  exit 1
fi
echo "trixie chroot: debootstrap into $dir from the machine's Debian mirror"
# The e2e bed bind-mounts host directories (the repository!) into the chroot; never rm -rf
# through a live mount: unmount everything under $dir first and stop if anything remains.
awk -v d="$dir/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r \
  | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
if awk -v d="$dir/" 'index($5, d) == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
  echo "trixie chroot: mounts remain under $dir; not rebuilding" >&2
  exit 1
fi
rm -rf --one-file-system "$dir"
mkdir -p "$(dirname "$dir")"
log="$dir.debootstrap.log"
debootstrap --variant=minbase --include="$(IFS=,; echo "${packages[*]}")" trixie "$dir" "$mirror" \
  > "$log" 2>&1 || { tail -30 "$log" >&2; exit 1; }

cp /etc/resolv.conf "$dir/etc/resolv.conf"
chroot "$dir" sh -ec 'cd /tmp && apt-get download -q pcscd vsmartcard-vpcd \
  && for d in /tmp/*.deb; do dpkg -x "$d" /; done && rm -f /tmp/*.deb' >> "$log" 2>&1 \
  || { tail -30 "$log" >&2; exit 1; }
# vpcd's DEVICENAME/CHANNELID carry the first TCP port: 0x8C7D = 35965 (slots 35965, 35966).
cat > "$dir/etc/reader.conf.d/vpcd" <<'CONF'
FRIENDLYNAME "Virtual PCD"
DEVICENAME   /dev/null:0x8C7D
LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so
CHANNELID    0x8C7D
CONF
rm -f "$dir/etc/reader.conf.d/libccidtwin"
mkdir -p "$dir/run/pcscd"
with_softhsm
echo "$stamp" > "$dir/.scd-ts-ready"
echo "trixie chroot: ready ($(chroot "$dir" gpg --version | head -1))"
