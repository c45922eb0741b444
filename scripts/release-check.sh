#!/usr/bin/env bash
# The release tier (`npm run test:release`): the release built twice, the second time from a copy of this
# checkout in another folder, with its own `npm ci`, another HOME, time zone, locale and umask, and the
# two compared byte for byte; then the files run as users get them (test/release/: a bare machine,
# arm64 under qemu-user-static, the guardian image under podman).
set -euo pipefail
cd "$(dirname "$0")/.."
npm run release
other=$(mktemp -d)
trap 'rm -rf "$other"' EXIT
mkdir -p "$other/kith" "$other/home"
git ls-files -z | xargs -0 tar cf - | tar xf - -C "$other/kith"
(
  cd "$other/kith"
  umask 0002
  export HOME="$other/home" TZ=Pacific/Kiritimati LANG=de_DE.UTF-8 LC_ALL=de_DE.UTF-8
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  node scripts/release.mjs --out "$other/release" >/dev/null
)
for f in release/SHA256SUMS release/kith-*; do
  if ! cmp -s "$f" "$other/release/$(basename "$f")"; then
    echo "release: a build from another folder differs in $(basename "$f")" >&2
    exit 1
  fi
done
echo "release: a second build, from another folder and environment, gives the same bytes:"
cat release/SHA256SUMS
./scripts/arm64-sysroot.sh
vitest run --config vitest.release.config.ts
