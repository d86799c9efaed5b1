#!/usr/bin/env bash
# Makes the debian:bookworm and debian:bookworm-slim base images in podman's local store
# when they are missing, from the Debian archive alone (no image registry needed):
# debootstrap --variant=minbase into a tarball cached in $MOB_CONTAINER_CACHE
# (default /var/cache/mob-ci, else ~/.cache/mob-ci), then podman import under the
# names Docker Hub uses, so docker/Dockerfile builds here unchanged.
#
#     scripts/containers/base-image.sh            # make what is missing
#     MOB_DEBIAN_MIRROR=http://... scripts/containers/base-image.sh
set -euo pipefail

images=(docker.io/library/debian:bookworm docker.io/library/debian:bookworm-slim)
mirror=${MOB_DEBIAN_MIRROR:-http://deb.debian.org/debian}

missing=()
for image in "${images[@]}"; do
  podman image exists "$image" || missing+=("$image")
done
if ((${#missing[@]} == 0)); then
  echo "base-image: ${images[*]} already present"
  exit 0
fi

cache=${MOB_CONTAINER_CACHE:-}
if [[ -z "$cache" ]]; then
  if mkdir -p /var/cache/mob-ci 2>/dev/null && [[ -w /var/cache/mob-ci ]]; then
    cache=/var/cache/mob-ci
  else
    cache=${XDG_CACHE_HOME:-$HOME/.cache}/mob-ci
  fi
fi
mkdir -p "$cache"
tarball=$cache/debian-bookworm-minbase.tar

if [[ ! -s "$tarball" ]]; then
  command -v debootstrap >/dev/null || { echo "base-image: debootstrap is not installed" >&2; exit 1; }
  # A fresh directory, removed whatever happens: a half-made root must not be cached.
  root=$(mktemp -d "$cache/rootfs.XXXXXX")
  trap 'rm -rf "$root" "$tarball.part"' EXIT
  echo "base-image: debootstrap --variant=minbase bookworm (a few minutes, once)"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
    { tail -20 "$cache/debootstrap.log" >&2; exit 1; }
  # What the official image has: no package caches, apt lists dropped.
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar --numeric-owner -C "$root" -cf "$tarball.part" .
  mv "$tarball.part" "$tarball"
fi

for image in "${missing[@]}"; do
  echo "base-image: podman import $tarball as $image"
  podman import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    "$tarball" "$image" >/dev/null
done
