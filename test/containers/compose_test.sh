#!/usr/bin/env bash
# containers.compose: docker/docker-compose.yml run for real with podman-compose, on a
# network of the test's own: the broker, three back workers and the front come up; HTTP
# requests to the front get a result and a callback from the backs, spread over all
# three; a back container killed outright does not stop the calls, which go to the
# others; the broker container restarted, every worker joins the new broker and calls
# work again. Everything is torn down at the end, passed or failed.
source "$(dirname "$0")/lib.sh"

require_podman compose
require_image

rm -f "$MOB_WORK_DIR"/mobcompose*  # the logs of an earlier run
project=mobcompose$$
net=$project
make_network "$net"
cleanup "podman network rm -f $net"
port=$(free_port)
# The user's compose file unchanged; only its default network is replaced by ours.
override=$MOB_WORK_DIR/$project.override.yml
cat >"$override" <<YAML
networks:
  default:
    name: $net
    external: true
YAML
cleanup "rm -f $override"
compose() {
  MOB_IMAGE="$MOB_TEST_IMAGE" MOB_FRONT_PORT="$port" podman-compose -p "$project" \
    -f "$MOB_SOURCE_DIR/docker/docker-compose.yml" -f "$override" "$@"
}
log=$MOB_WORK_DIR/$project.log
cleanup "compose down -t 2 >>$log 2>&1"
cleanup "for c in \$(podman ps -a -q --filter label=io.podman.compose.project=$project); do podman logs -t \$c > $MOB_WORK_DIR/$project.\$c.log 2>&1; done"

broker=${project}_broker_1
say "podman-compose up (front on port $port)"
compose up -d >"$log" 2>&1 || { tail -30 "$log" >&2; fail "podman-compose up failed (log: $log)"; }
for c in "$broker" "${project}_back_1" "${project}_back_2" "${project}_back_3" "${project}_front_1"; do
  podman container exists "$c" || fail "compose made no container $c (log: $log)"
done

broker_healthy() { podman exec "$broker" mobctl health shop; }
wait_until 90 "the broker is full: back 3/3, front 1/1" broker_healthy
wait_until 30 "the front answers" http_ok "$port" /factor/360

answer=$(http_ok "$port" /factor/360)
say "GET /factor/360: $(tr '\n' ' ' <<<"$answer")"
grep -q '^360 = 2 x 2 x 2 x 3 x 3 x 5 (factored by back/' <<<"$answer" || fail "no result in: $answer"
grep -q '^72 primes below 360 (counted by back/' <<<"$answer" || fail "no callback in: $answer"

# The image's HEALTHCHECK (mobctl health) and the compose file's (the worker's /readyz).
podman healthcheck run "$broker" >/dev/null || fail "the broker's HEALTHCHECK fails"
podman healthcheck run "${project}_back_1" >/dev/null || fail "back_1's healthcheck fails"

# The broker spreads calls over the least recently used back: all three serve. (Numbers
# above the primes limit: one call per request, so the rotation is plain to see; with
# the callback's call beside it, the quick `factor` keeps landing on the same back.)
declare -A servers=()
spread() {
  local id
  id=$(served_by "$(http_ok "$port" /factor/600851475143)") || return 1
  [[ -n "$id" ]] && servers[$id]=1
  ((${#servers[@]} == 3))
}
wait_until 60 "calls spread over the three backs" spread
say "backs: ${!servers[*]}"

# Kill one back's process outright from the host (SIGKILL, as the OOM killer would; not
# `podman kill`, which podman counts as a user's stop and never restarts): calls go on
# to the others, and the restart policy brings the container back.
victim=${project}_back_1
victim_host=$(podman inspect -f '{{.Config.Hostname}}' "$victim")
victim_id=""
for id in "${!servers[@]}"; do [[ "$id" == *"@$victim_host#"* ]] && victim_id=$id; done
[[ -n "$victim_id" ]] || fail "no back id names host $victim_host (backs: ${!servers[*]})"
kill -KILL "$(podman inspect -f '{{.State.Pid}}' "$victim")"
say "killed the worker of $victim ($victim_id)"
for ((i = 0; i < 10; i++)); do
  answer=$(http_ok "$port" "/factor/$((600851475143 + 2 * i))") || fail "call $i after the kill failed"
  id=$(served_by "$answer")
  [[ -n "$id" && "$id" != "$victim_id" ]] || fail "call $i after the kill: served by '$id'"
done
say "10 calls after the kill, none by the killed back"
# Rejoined: a worker of the victim's container (its host name) under a new id, and full.
rejoined() {
  local s
  s=$(podman exec "$broker" mobctl status shop --json) || return 1
  [[ "$s" == *"@$victim_host#"* && "$s" != *"$victim_id"* ]] && broker_healthy
}
wait_until 90 "the killed back is restarted and rejoins: full again" rejoined

# Restart the broker: it STOPs its workers, which exit and are restarted by the restart
# policy; every one joins the new broker and the front serves again.
old_start=$(podman inspect -f '{{.State.StartedAt}}' "$broker")
podman restart -t 10 "$broker" >/dev/null
[[ "$(podman inspect -f '{{.State.StartedAt}}' "$broker")" != "$old_start" ]] ||
  fail "the broker container did not restart"
say "restarted the broker"
wait_until 120 "every worker joined the new broker" broker_healthy
wait_until 30 "the front answers through the new broker" http_ok "$port" /factor/97
status=$(podman exec "$broker" mobctl status shop --json)
grep -q '"uptime_s"' <<<"$status" || fail "no status from the new broker: $status"
