#!/usr/bin/env bash
# A real install: the package as npm packs it, installed globally into a clean prefix, gives a working
# `kith` (the docs tell people to install it this way, or from a clone: never by a registry name).
# No package of kith's needs an install script (SQLite is Node's own): none is run.
set -euo pipefail
cd "$(dirname "$0")/.."
# the installed `kith` runs on the first `node` of the PATH, which must be 24 or newer: this clone's
# (the registry's node package) stands in for a user's, on a machine whose own Node may be older
export PATH="$PWD/node_modules/.bin:$PATH"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tarball=$(npm pack --pack-destination "$work" --silent | tail -1)
npm install -g --prefix "$work/prefix" "$work/$tarball" --no-audit --no-fund --loglevel=error --ignore-scripts
installed="$work/prefix/lib/node_modules/kith"
kith="$work/prefix/bin/kith"
"$kith" --version
"$kith" --help | grep -q 'kith vault'
KITH_GUARDIAN_DIR="$work/guardian" "$kith" guardian init --listen /ip4/127.0.0.1/tcp/0 --json >/dev/null
test -f "$work/guardian/guardian.json"
test -f "$installed/deploy/systemd/kith-guardian.service"
echo "install check: $tarball installs and runs"
