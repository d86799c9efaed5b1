#!/usr/bin/env bash
# containers.kube: deploy/kubernetes/ under `podman kube play`, on a network of the
# test's own. podman plays Pods, not StatefulSets, Services or autoscalers, so
# kube_to_pods.py turns the manifests into the Pods a cluster would run (the broker's pod
# named after its Service, so that tcp://mob-broker:5555 resolves as in the cluster).
# Checks: every worker joins the broker (mobctl health, the broker's probe), the probes
# pass, the fronts serve calls that reach all three backs with a result and a callback,
# and a back stopped with SIGTERM (a pod's termination) drains and exits 0.
source "$(dirname "$0")/lib.sh"

require_podman
require_image
/usr/bin/python3 -c 'import yaml' 2>/dev/null || skip "python3-yaml is not installed"

pods=$MOB_WORK_DIR/kube-pods.yaml
/usr/bin/python3 "$(dirname "$0")/kube_to_pods.py" \
  "$MOB_SOURCE_DIR/deploy/kubernetes/kustomization.yaml" "$MOB_TEST_IMAGE" >"$pods"
for pod in $(sed -n 's/^  name: //p' "$pods"); do
  podman pod exists "$pod" && fail "a pod named $pod exists already (left by another run?)"
done
net=mobkube$$
make_network "$net"
cleanup "podman network rm -f $net"
log=$MOB_WORK_DIR/kube.log
cleanup "podman kube play --down $pods >>$log 2>&1"
cleanup "for c in \$(podman ps -a --format '{{.Names}}' | grep -E '^(mob-broker|back-[0-9]|front-[0-9])-'); do podman logs \$c > $MOB_WORK_DIR/kube.\$c.log 2>&1; done"

say "podman kube play ($(grep -c '^kind: Pod' "$pods") pods)"
podman kube play --network "$net" "$pods" >"$log" 2>&1 || { tail -20 "$log" >&2; fail "kube play failed (log: $log)"; }

broker_healthy() { podman exec mob-broker-broker mobctl health shop; }
wait_until 90 "every worker joined the broker: back 3/3, front 2/2" broker_healthy
# The probes as the manifests define them: liveness becomes podman's healthcheck.
podman exec mob-broker-broker mobctl health shop --live >/dev/null || fail "broker probe fails"
for c in back-0-back front-1-front; do
  wait_until 30 "$c's liveness probe passes" podman healthcheck run "$c"
done

ip_of() {
  podman inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' \
    "$(podman pod inspect -f '{{.InfraContainerID}}' "$1")"
}
for front in front-0 front-1; do
  ip=$(ip_of "$front")
  wait_until 30 "$front ($ip) answers" http_ok_at "$ip" 1337 /factor/360
  answer=$(http_ok_at "$ip" 1337 /factor/360)
  grep -q '^360 = 2 x 2 x 2 x 3 x 3 x 5 (factored by back/' <<<"$answer" || fail "no result: $answer"
  grep -q '^72 primes below 360 (counted by back/' <<<"$answer" || fail "no callback: $answer"
done

declare -A servers=()
spread() {
  local id
  id=$(served_by "$(http_ok_at "$ip" 1337 /factor/600851475143)") || return 1
  [[ -n "$id" ]] && servers[$id]=1
  ((${#servers[@]} == 3))
}
wait_until 60 "calls reach the three backs" spread
say "backs: ${!servers[*]}"

# A pod's termination: SIGTERM, then the grace period. The worker drains and exits 0.
podman pod stop -t 30 back-2 >/dev/null
code=$(podman inspect -f '{{.State.ExitCode}}' back-2-back)
[[ "$code" == 0 ]] || fail "back-2 exited $code on SIGTERM"
http_ok_at "$ip" 1337 /factor/600851475143 >/dev/null || fail "no answer with back-2 stopped"
say "back-2 stopped with SIGTERM: exit 0, calls go on"
