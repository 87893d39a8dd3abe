#!/usr/bin/env bash
# Build (or reuse) a Debian chroot holding a newer gnupg for the e2e matrix:
#   trixie -> gnupg 2.4.7 (SCD_E2E_GNUPG=2.4),   sid -> gnupg 2.4.9 (SCD_E2E_GNUPG=2.4.9).
# The mirror is taken from this machine's own apt sources, so no host name lives in the repo.
# Usage: .ci/gnupg_chroot.sh SUITE [DIR]
#   default DIR: trixie $SCD_TS_CHROOT or /var/cache/scd-ts/trixie,
#                sid    $SCD_TS_SID_CHROOT or /var/cache/scd-ts/sid
#
# trixie's and sid's libpcsclite (2.3+) speak a newer client protocol than bookworm's pcscd 1.9.9
# ("service stopped" on SCardEstablishContext), so each chroot runs its own pcscd with
# vsmartcard's vpcd driver on its own ports (trixie 35965/35966, sid 35975/35976; see
# docs/testbed.md). pcscd and vsmartcard-vpcd are unpacked, not installed: the pcscd package
# depends on polkitd, which will not configure in a minbase chroot; pcscd runs with
# --disable-polkit.
set -euo pipefail
suite=${1:?usage: .ci/gnupg_chroot.sh trixie|sid [DIR]}
case $suite in
  # vpcd's DEVICENAME/CHANNELID carry the first TCP port: 0x8C7D = 35965, 0x8C87 = 35975.
  trixie) dir=${2:-${SCD_TS_CHROOT:-/var/cache/scd-ts/trixie}} port=0x8C7D ;;
  sid) dir=${2:-${SCD_TS_SID_CHROOT:-/var/cache/scd-ts/sid}} port=0x8C87 ;;
  *) echo "gnupg chroot: unknown suite '$suite' (trixie or sid)" >&2; exit 2 ;;
esac
stamp=v2 # bump when the recipe below changes, so CI machines rebuild
packages=(gpg gpg-agent scdaemon gpgsm openssh-client libpcsclite1 libpolkit-gobject-1-0 procps)

# SoftHSM2 for the PKCS#11 e2e on gnupg 2.4 (issue 23), and in trixie gnupg-pkcs11-scd (0.10.0)
# for the comparison beside scd-ts (tests/e2e/pkcs11_compare_test.ts) and OpenSC's PKCS#11 module
# (0.26) for tests/e2e/pkcs11_opensc_test.ts: installed into a reused
# chroot too, so machines that built theirs before need no rebuild.
pkcs11_packages=(softhsm2)
if [ "$suite" = trixie ]; then pkcs11_packages+=(gnupg-pkcs11-scd opensc-pkcs11); fi
with_pkcs11() {
  local p missing=()
  for p in "${pkcs11_packages[@]}"; do
    chroot "$dir" dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then return 0; fi
  chroot "$dir" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends "${missing[@]}" >> "$dir.softhsm.log" 2>&1 \
    || { tail -30 "$dir.softhsm.log" >&2; return 1; }
}

if [ -x "$dir/usr/bin/gpg" ] && [ "$(cat "$dir/.scd-ts-ready" 2>/dev/null)" = "$stamp" ]; then
  with_pkcs11
  echo "$suite chroot: reusing $dir ($(chroot "$dir" gpg --version | head -1))"
  exit 0
fi

mirror=$(grep -rhoE '(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
  | grep -oE 'https?://[^ ]+' | grep -v security | sed -n 1p || true)
if [ -z "$mirror" ]; then
  echo "$suite chroot: no Debian mirror found in /etc/apt/sources*" >&2
  exit 1
fi
echo "$suite chroot: debootstrap into $dir from the machine's Debian mirror"
# The e2e bed bind-mounts host directories (the repository!) into the chroot; never rm -rf
# through a live mount: unmount everything under $dir first and stop if anything remains.
awk -v d="$dir/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r \
  | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
if awk -v d="$dir/" 'index($5, d) == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
  echo "$suite chroot: mounts remain under $dir; not rebuilding" >&2
  exit 1
fi
rm -rf --one-file-system "$dir"
mkdir -p "$(dirname "$dir")"
log="$dir.debootstrap.log"
debootstrap --variant=minbase --include="$(IFS=,; echo "${packages[*]}")" "$suite" "$dir" "$mirror" \
  > "$log" 2>&1 || { tail -30 "$log" >&2; exit 1; }

cp /etc/resolv.conf "$dir/etc/resolv.conf"
chroot "$dir" sh -ec 'cd /tmp && apt-get download -q pcscd vsmartcard-vpcd \
  && for d in /tmp/*.deb; do dpkg -x "$d" /; done && rm -f /tmp/*.deb' >> "$log" 2>&1 \
  || { tail -30 "$log" >&2; exit 1; }
cat > "$dir/etc/reader.conf.d/vpcd" <<CONF
FRIENDLYNAME "Virtual PCD"
DEVICENAME   /dev/null:$port
LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so
CHANNELID    $port
CONF
rm -f "$dir/etc/reader.conf.d/libccidtwin"
mkdir -p "$dir/run/pcscd"
with_pkcs11
echo "$stamp" > "$dir/.scd-ts-ready"
echo "$suite chroot: ready ($(chroot "$dir" gpg --version | head -1))"
