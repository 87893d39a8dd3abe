#!/usr/bin/env bash
# Loopback settings for the test bed (root only; they last until reboot). See docs/testbed.md.
# 1. No delayed ACKs on loopback. Between pcscd's vpcd driver and the virtual card every APDU cost
#    ~45 ms without it and ~0.5 ms with it: the signature of Nagle's algorithm on one side meeting
#    the other side's delayed ACK. Real readers are USB, not TCP, so without this the test bed and
#    the bench would mostly measure loopback TCP.
# 2. The vpcd ports (35963-35976: host pcscd, trixie chroot pcscd, tests/pcsc's and tests/cli's
#    private pcscds, the fault suite's, the bench's, the sid chroot's pcscd) lie in
#    Linux's ephemeral range, so an outgoing connection could take one before a pcscd that starts
#    later binds it; reserve them.
set -u
for dst in 127.0.0.0/8 127.0.0.1; do
  ip route change local "$dst" dev lo table local proto kernel scope host src 127.0.0.1 \
    quickack 1 2>/dev/null || echo "loopback quickack: cannot set for $dst (not root?)"
done
ip route show table local | grep -q "quickack 1" && echo "loopback quickack: on"
if sysctl -qw net.ipv4.ip_local_reserved_ports=35963-35976 2>/dev/null; then
  echo "vpcd ports 35963-35976: reserved from ephemeral use"
else
  echo "vpcd ports: cannot reserve (not root?)"
fi
