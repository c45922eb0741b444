#!/usr/bin/env bash
# The C runtime an arm64 Debian machine has (libc6, libstdc++6, libgcc-s1), unpacked into
# .cache/arm64-sysroot for qemu-aarch64-static -L: what the arm64 release file needs besides itself.
# The packages come from this machine's Debian sources through apt with a private state folder, so the
# machine's own package setup (its architectures, lists and cache) is left as it was.
set -euo pipefail
cd "$(dirname "$0")/.."
sysroot=.cache/arm64-sysroot
[ -e "$sysroot/lib/ld-linux-aarch64.so.1" ] && exit 0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
apt_arm64=(apt-get -q -o APT::Sandbox::User=root -o APT::Architecture=arm64 -o APT::Architectures::=arm64
  -o Dir::State::Lists="$work/lists" -o Dir::Cache="$work/cache" -o Dir::State::status=/dev/null)
"${apt_arm64[@]}" update >/dev/null
(cd "$work/debs" && "${apt_arm64[@]}" download libc6 libstdc++6 libgcc-s1 >/dev/null 2>&1)
rm -rf "$sysroot.tmp" && mkdir -p "$sysroot.tmp"
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$sysroot.tmp"; done
rm -rf "$sysroot" && mv "$sysroot.tmp" "$sysroot"
echo "arm64 sysroot: $(ls "$work/debs" | tr '\n' ' ')"
