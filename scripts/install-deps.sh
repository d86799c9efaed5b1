#!/usr/bin/env bash
# Installs the Debian packages mob needs to build, test and format-check (python3-zmq:
# the Python binding's tests, with Debian's /usr/bin/python3); does nothing
# (no apt-get update) when they are all installed already.
#     scripts/install-deps.sh               build, test, format-check
#     scripts/install-deps.sh --containers  also what the container tests need (podman)
#     scripts/install-deps.sh --fuzz        instead, what the fuzz target needs (Debian's
#                                           clang and its libFuzzer runtime): the
#                                           ordinary build is g++ alone
set -euo pipefail

packages=(
  cmake make g++ pkg-config binutils
  libzmq3-dev cppzmq-dev libcereal-dev libfmt-dev libsystemd-dev
  googletest libgtest-dev libgmock-dev
  clang-format
  python3 python3-zmq
)
# podman with runc (crun fails on hybrid cgroup hosts), podman-compose, debootstrap for
# the base image (no registry needed), curl for the HTTP checks, python3-yaml for kube.
# Two of podman's recommends, which --no-install-recommends leaves out: catatonit, the
# init of the pause image `podman kube play` builds, and the CNI dnsname plugin, without
# which a compose service's name (tcp://broker:5555) resolves to nothing.
if [[ "${1:-}" == --containers ]]; then
  packages+=(podman podman-compose runc debootstrap curl ca-certificates python3-yaml
             catatonit golang-github-containernetworking-plugin-dnsname)
elif [[ "${1:-}" == --fuzz ]]; then
  packages=(cmake make clang libclang-rt-14-dev libzmq3-dev cppzmq-dev libcereal-dev libfmt-dev)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

if ((EUID == 0)); then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "install-deps: missing ${missing[*]}; run as root or install sudo" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${missing[@]}"
