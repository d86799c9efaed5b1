# Shared by the container tests (sourced): podman set up the way these tests need it,
# skips that say why (exit 77, ctest's SKIP_RETURN_CODE), deadlines instead of sleeps,
# and a teardown that always runs.
#
# Environment (set by CMakeLists.txt): MOB_SOURCE_DIR, MOB_WORK_DIR (scratch, in the
# build tree), MOB_TEST_IMAGE (the image the tests build and run), MOB_VERSION.
set -euo pipefail

: "${MOB_SOURCE_DIR:?}" "${MOB_WORK_DIR:?}" "${MOB_TEST_IMAGE:?}" "${MOB_VERSION:?}"
mkdir -p "$MOB_WORK_DIR"
test_name=$(basename "$0" .sh)
started=$SECONDS

say() { printf '%s [%3ds] %s\n' "$test_name" $((SECONDS - started)) "$*"; }
fail() { say "FAIL: $*" >&2; exit 1; }
skip() { say "SKIP: $*" >&2; exit 77; }

# A containers.conf of the test's own, so that nothing on the machine is changed and
# no setting there is needed: runc (crun fails on hybrid cgroup hosts), and default
# ulimits of nofile 20000 and nproc 4096, or this shell's own if lower. podman's
# defaults (the host's, for nproc) were refused on such a host ("error setting rlimit
# type 6: operation not permitted"), even at the shell's own value; 4096 runs.
podman_config() {
  local conf=$MOB_WORK_DIR/containers.conf nofile nproc
  nofile=$(ulimit -n)
  nproc=$(ulimit -u)
  [[ "$nofile" == unlimited ]] || ((nofile > 20000)) && nofile=20000
  [[ "$nproc" == unlimited ]] || ((nproc > 4096)) && nproc=4096
  {
    echo "[containers]"
    echo "default_ulimits = [\"nofile=$nofile:$nofile\", \"nproc=$nproc:$nproc\"]"
    echo "[engine]"
    if command -v runc >/dev/null; then echo 'runtime = "runc"'; fi
  } >"$conf"
  export CONTAINERS_CONF=$conf
}

# Skips, with the reason, unless podman (and podman-compose, if asked) can run a container.
require_podman() {
  command -v podman >/dev/null ||
    skip "podman is not installed (apt-get install podman podman-compose runc debootstrap)"
  if [[ "${1:-}" == compose ]]; then
    command -v podman-compose >/dev/null || skip "podman-compose is not installed"
  fi
  podman_config
  local out
  out=$(podman info --format '{{.Host.OCIRuntime.Name}}' 2>&1) ||
    skip "podman cannot run here: $(tail -1 <<<"$out")"
}

# Skips unless a container from `image` runs (the host may forbid namespaces, cgroups).
require_runnable() {
  local out
  out=$(podman run --rm --network none "$1" true 2>&1) ||
    skip "podman cannot run containers here: $(tail -1 <<<"$out")"
}

require_image() {
  podman image exists "$MOB_TEST_IMAGE" ||
    fail "no image $MOB_TEST_IMAGE: the containers.image test builds it (ctest -L containers)"
}

# wait_until SECONDS WHAT COMMAND...: runs COMMAND every 0.5 s until it succeeds; fails
# the test naming WHAT if SECONDS pass first.
wait_until() {
  local limit=$1 what=$2
  shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || fail "$what: not within ${limit}s"
    sleep 0.5
  done
  say "$what"
}

# A podman network of the test's own, on a subnet nobody else on the machine uses:
# tries 10.89.200.0/24 up to 10.89.249.0/24 from a start that depends on the pid.
make_network() {
  local name=$1 i third
  for ((i = 0; i < 50; i++)); do
    third=$((200 + ($$ + i) % 50))
    if podman network create --subnet "10.89.$third.0/24" "$name" >/dev/null 2>&1; then
      say "network $name on 10.89.$third.0/24"
      return 0
    fi
  done
  fail "could not create a network with a free subnet in 10.89.200-249.0/24"
}

# Teardown steps, run in reverse order at exit, whatever the outcome.
cleanups=()
on_exit() {
  local rc=$? i
  for ((i = ${#cleanups[@]} - 1; i >= 0; i--)); do
    eval "${cleanups[i]}" >/dev/null 2>&1 || true
  done
  if ((rc == 0)); then
    say "passed in $((SECONDS - started))s"
  fi
  exit $rc
}
trap on_exit EXIT
cleanup() { cleanups+=("$*"); }

# GET http://127.0.0.1:PORT/PATH (http_ok) or http://HOST:PORT/PATH (http_ok_at): the body
# on stdout, fails unless the status is 200.
http_ok_at() {
  curl --silent --show-error --fail --max-time 20 "http://$1:$2$3"
}
http_ok() { http_ok_at 127.0.0.1 "$@"; }

# A TCP port free on this host now.
free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])'
}

# The worker that served a shop answer: "back/1@host#nonce" from "(factored by ...)".
served_by() {
  sed -n 's/.*(factored by \(back\/[^)]*\)).*/\1/p' <<<"$1" | head -1
}
