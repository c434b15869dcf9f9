#!/bin/bash
# kill -9 under load (docs/BENCHMARKS.md): a fresh switchboard_bench database,
# `dev` from /tmp/sb (go build -o /tmp/sb ./cmd/switchboard), bench at 200 msg/s,
# the process killed 15 s into the load and restarted 3 s later; then checks in
# PostgreSQL that every acked message is stored once, seqs have no gaps and the
# outbox drained. Needs a local PostgreSQL (trust auth) and nothing on :8099.
set -u
DB=postgres://postgres@127.0.0.1:5432/switchboard_bench?sslmode=disable
psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS switchboard_bench WITH (FORCE)" >/dev/null 2>&1
psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE switchboard_bench" >/dev/null
rm -rf /tmp/sbbench
start() { env DATABASE_URL=$DB LOG_LEVEL=warn /tmp/sb dev --data-dir /tmp/sbbench --temporal-port 7399 --http-addr 127.0.0.1:8099 >> /tmp/sbdev-kill.log 2>&1 & echo $! > /tmp/sbdev.pid; }
start
for i in $(seq 60); do curl -sf http://127.0.0.1:8099/healthz >/dev/null && break; sleep 1; done
/tmp/sb bench -url http://127.0.0.1:8099 -database-url "$DB" -rate 200 -duration 40s -json > /tmp/bench-kill.json 2>/tmp/bench-kill.log &
bpid=$!
# wait for the load to start, then kill -9 15 s into it
for i in $(seq 120); do grep -q "load:" /tmp/bench-kill.log && break; sleep 1; done
sleep 15
kill -9 $(cat /tmp/sbdev.pid); echo "killed at $(date +%T)"
sleep 3
start; echo "restarted at $(date +%T)"
wait $bpid
sleep 20   # let the relay drain
psql -h 127.0.0.1 -U postgres -d switchboard_bench -At -c "SELECT 'bench messages stored', count(*), count(DISTINCT idempotency_key) FROM messages WHERE idempotency_key LIKE 'sbbench-%'"
psql -h 127.0.0.1 -U postgres -d switchboard_bench -At -c "WITH s AS (SELECT conversation_id, seq FROM messages UNION ALL SELECT conversation_id, seq FROM conversation_events) SELECT 'conversations with seq gaps or duplicates', count(*) FROM (SELECT conversation_id FROM s GROUP BY 1 HAVING max(seq) <> count(*) OR count(*) <> count(DISTINCT seq)) g"
psql -h 127.0.0.1 -U postgres -d switchboard_bench -At -c "SELECT 'outbox rows left', count(*), count(*) FILTER (WHERE dead_at IS NOT NULL) FROM outbox"
psql -h 127.0.0.1 -U postgres -d switchboard_bench -At -c "SELECT 'signalled messages', count(*) FROM messages WHERE cardinality(signal_reasons) > 0"
kill $(cat /tmp/sbdev.pid); wait 2>/dev/null
