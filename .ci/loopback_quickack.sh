#!/usr/bin/env bash
# Turns off delayed ACKs on loopback (root only; lasts until reboot). Between pcscd's vpcd driver
# and the virtual card every APDU cost ~45 ms without it and ~0.5 ms with it: the signature of
# Nagle's algorithm on one side meeting the other side's delayed ACK (a small write waits for the
# ACK of the previous one). Real readers are USB, not TCP, so without this the test bed and the
# bench would mostly measure loopback TCP. See docs/testbed.md.
set -u
for dst in 127.0.0.0/8 127.0.0.1; do
  ip route change local "$dst" dev lo table local proto kernel scope host src 127.0.0.1 \
    quickack 1 2>/dev/null || echo "loopback quickack: cannot set for $dst (not root?)"
done
ip route show table local | grep -q "quickack 1" && echo "loopback quickack: on"
