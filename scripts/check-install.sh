#!/usr/bin/env bash
# A real install: the package as npm packs it, installed globally into a clean prefix, gives a working
# `kith` (the docs tell people to install it this way, or from a clone: never by a registry name).
# better-sqlite3's native module is not built a second time: where its prebuilt binary cannot be fetched
# that is a compile of a minute, of code that is not ours and that this checkout's `npm ci` has just built
# for this same Node and the same pinned version. Its install script is skipped and that build copied in;
# everything else (the files the package ships, its dependencies from the registry, the bin link) is the
# real install.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tarball=$(npm pack --pack-destination "$work" --silent | tail -1)
npm install -g --prefix "$work/prefix" "$work/$tarball" --no-audit --no-fund --loglevel=error --ignore-scripts
installed="$work/prefix/lib/node_modules/kith"
cp -r node_modules/better-sqlite3/build "$installed/node_modules/better-sqlite3/"
kith="$work/prefix/bin/kith"
"$kith" --version
"$kith" --help | grep -q 'kith vault'
KITH_GUARDIAN_DIR="$work/guardian" "$kith" guardian init --listen /ip4/127.0.0.1/tcp/0 --json >/dev/null
test -f "$work/guardian/guardian.json"
test -f "$installed/deploy/systemd/kith-guardian.service"
echo "install check: $tarball installs and runs"
