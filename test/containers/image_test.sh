#!/usr/bin/env bash
# containers.image: builds the base images when missing (debootstrap, cached outside the
# build tree; scripts/containers/base-image.sh), then docker/Dockerfile exactly as a user
# would, and checks the image: its programs come from the install rules and find their
# libraries through RUNPATH, it runs as a non-root user, it keeps a HEALTHCHECK, and it
# stays small.
source "$(dirname "$0")/lib.sh"

require_podman
say "base images"
"$MOB_SOURCE_DIR/scripts/containers/base-image.sh"
require_runnable docker.io/library/debian:bookworm-slim

say "podman build -f docker/Dockerfile (a few minutes the first time)"
build_log=$MOB_WORK_DIR/image-build.log
# --format docker: OCI images have no HEALTHCHECK. --layers: the apt layers are reused
# between runs; only the sources' layers are built again.
if ! podman build --format docker --layers -f "$MOB_SOURCE_DIR/docker/Dockerfile" \
    -t "$MOB_TEST_IMAGE" "$MOB_SOURCE_DIR" >"$build_log" 2>&1; then
  tail -40 "$build_log" >&2
  fail "podman build failed (log: $build_log)"
fi
say "built $MOB_TEST_IMAGE"

run() { podman run --rm --network none "$MOB_TEST_IMAGE" "$@"; }

for program in mob-broker mobctl; do
  got=$(run "$program" --version)
  [[ "$got" == "$program $MOB_VERSION" ]] || fail "$program --version said '$got'"
done

# Every program finds libmob-* in /opt/mob/lib through its RUNPATH and none is missing;
# no RUNPATH names the build tree (/build): read with the host's readelf, as the runtime
# stage has no binutils.
files=$MOB_WORK_DIR/image-files
rm -rf "$files" && mkdir -p "$files"
holder=$(podman create "$MOB_TEST_IMAGE")
cleanup "podman rm -f $holder"
podman cp "$holder:/opt/mob" "$files/"
for program in mob-broker mobctl mob-shop-worker; do
  ldd_out=$(run ldd "/opt/mob/bin/$program")
  if grep -q "not found" <<<"$ldd_out"; then
    fail "$program: a library is missing:"$'\n'"$ldd_out"
  fi
  grep -q -E "libmob-common.so.0 => /opt/mob/(bin/\.\./)?lib/" <<<"$ldd_out" ||
    fail "$program does not load libmob-common from /opt/mob/lib:"$'\n'"$ldd_out"
  runpath=$(readelf -d "$files/mob/bin/$program" | grep -E 'RUNPATH|RPATH' || true)
  [[ "$runpath" == *'[$ORIGIN/../lib]'* ]] || fail "$program: RUNPATH is '$runpath'"
done
for lib in "$files"/mob/lib/libmob-*.so.*.*; do
  runpath=$(readelf -d "$lib" | grep -E 'RUNPATH|RPATH' || true)
  [[ -z "$runpath" || "$runpath" == *'[$ORIGIN]'* ]] || fail "$lib: RUNPATH is '$runpath'"
done
[[ ! -e "$files/mob/include" ]] || fail "the runtime stage ships headers"

uid=$(run id -u)
[[ "$uid" != 0 ]] || fail "the image runs as root"

health=$(podman image inspect --format '{{json .Config.Healthcheck}}' "$MOB_TEST_IMAGE")
grep -q 'mobctl' <<<"$health" || fail "no HEALTHCHECK with mobctl in the image: $health"

size=$(podman image inspect --format '{{.Size}}' "$MOB_TEST_IMAGE")
say "image size $((size / 1000000)) MB, user $uid, healthcheck $health"
# The build stage (compilers, headers) is about 500 MB: the runtime stage must not carry it.
((size < 250000000)) || fail "the image is $((size / 1000000)) MB: the runtime stage is not small"
