#!/usr/bin/env bash
# The release tier (`npm run test:release`): the release built twice from this commit, the two compared
# byte for byte, then the files run as users get them (test/release/: a bare machine, arm64 under
# qemu-user-static, the guardian image under podman).
set -euo pipefail
cd "$(dirname "$0")/.."
npm run release
second=$(mktemp -d)
trap 'rm -rf "$second"' EXIT
node scripts/release.mjs --out "$second" >/dev/null
for f in release/SHA256SUMS release/kith-*; do
  if ! cmp -s "$f" "$second/$(basename "$f")"; then
    echo "release: two builds from one commit differ in $(basename "$f")" >&2
    exit 1
  fi
done
echo "release: a second build from this commit gives the same bytes:"
cat release/SHA256SUMS
./scripts/arm64-sysroot.sh
vitest run --config vitest.release.config.ts
