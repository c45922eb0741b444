#!/bin/sh
# First start: create the guardian in /data (KITH_ANNOUNCE: the address friends dial, e.g.
# /dns4/home.example.net/tcp/4646; KITH_RELAY: a relay's multiaddr when nothing is forwarded).
# Then run it in the foreground. Extra arguments go to `kith guardian start`.
set -eu
if [ ! -f "$KITH_GUARDIAN_DIR/guardian.json" ]; then
  kith guardian init --listen /ip4/0.0.0.0/tcp/4646 \
    ${KITH_ANNOUNCE:+--announce "$KITH_ANNOUNCE"} ${KITH_RELAY:+--relay "$KITH_RELAY"}
fi
exec kith guardian start "$@"
