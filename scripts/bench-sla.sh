#!/bin/bash
# The SLA burst (docs/BENCHMARKS.md): a fresh switchboard_bench database,
# `dev` from /tmp/sb (go build -o /tmp/sb ./cmd/switchboard), bench -sla
# with the arguments given (e.g. -sla 5000 -sla-target 30s -sla-delay 3m).
# With KILL_AFTER=N, the process is killed with kill -9 N seconds after
# bench reports every conversation waiting (N a little less than the time
# to the deadline puts the deadline in the outage) and started again DOWN
# seconds later (default 10). bench reads the breaches from the event log
# and the clocks at the end (the sockets of the killed process drop).
# Needs a local PostgreSQL (trust auth) and nothing on :8099.
set -u
DB=postgres://postgres@127.0.0.1:5432/switchboard_bench?sslmode=disable
psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS switchboard_bench WITH (FORCE)" >/dev/null 2>&1
psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE switchboard_bench" >/dev/null
rm -rf /tmp/sbbench
: > /tmp/sbdev-sla.log
start() { env DATABASE_URL=$DB LOG_LEVEL=warn /tmp/sb dev --data-dir /tmp/sbbench --temporal-port 7399 --http-addr 127.0.0.1:8099 --debug-addr 127.0.0.1:6099 >> /tmp/sbdev-sla.log 2>&1 & echo $! > /tmp/sbdev.pid; }
start
for i in $(seq 60); do curl -sf http://127.0.0.1:8099/healthz >/dev/null && break; sleep 1; done
/tmp/sb bench -url http://127.0.0.1:8099 -database-url "$DB" -workspaces 1 -operators 2 "$@" > /tmp/bench-sla.out 2>/tmp/bench-sla.log &
bpid=$!
if [ -n "${KILL_AFTER:-}" ]; then
  for i in $(seq 7200); do grep -q "conversations waiting" /tmp/bench-sla.log && break; sleep 1; done
  sleep "$KILL_AFTER"
  kill -9 "$(cat /tmp/sbdev.pid)"; echo "killed at $(date -u +%T.%N)"
  sleep "${DOWN:-10}"
  start; echo "restarted at $(date -u +%T.%N)"
fi
wait $bpid
cat /tmp/bench-sla.out
kill "$(cat /tmp/sbdev.pid)"; wait 2>/dev/null
