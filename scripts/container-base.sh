#!/usr/bin/env bash
# A Debian base image for deploy/docker/Dockerfile where no image registry can be reached: a minimal
# Debian of this machine's release, made by debootstrap from its Debian sources, imported into podman as
# localhost/debian:<release>-minbase (printed). Made once; later calls find it.
set -euo pipefail
suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
image="localhost/debian:$suite-minbase"
if ! podman image exists "$image"; then
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
  debootstrap --variant=minbase "$suite" "$root" >/dev/null
  tar -C "$root" -c . | podman import - "$image" >/dev/null
fi
echo "$image"
