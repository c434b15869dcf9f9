#!/usr/bin/env bash
# Usage: scripts/ensure-nats.sh
#
# Makes sure a nats-server answers at NATS_URL (default nats://127.0.0.1:4222)
# and prints that URL as the last (only) line of stdout. Everything else it
# says goes to stderr, each line starting "NATS:".
#
# How it decides:
#   1. Something at NATS_URL's host:port sends NATS's INFO greeting: done.
#      (Only the first URL of a comma-separated list is looked at.)
#   2. Something else listens there: exit 1 (it is not a NATS server).
#   3. Nothing answers and the host is not this machine: exit 1; this script
#      does not start servers elsewhere.
#   4. Nothing answers on this machine: install Debian's nats-server when it
#      is missing (root: apt-get; not root: print the command, exit 1), then
#      start it in the background bound to that host and port (core NATS,
#      no JetStream: Switchboard uses plain pub/sub), with its pid file and
#      log under /run and /var/log (root) or $XDG_RUNTIME_DIR or /tmp (others),
#      and wait up to 15 s for the greeting.
# Safe to run any number of times; when NATS is up it costs one connection.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

P=NATS
log() { sb_log "$P" "$@"; }
die() {
	local arg line
	for arg in "$@"; do
		while IFS= read -r line; do sb_log "$P" "$line"; done <<<"$arg"
	done
	exit 1
}

URL=${NATS_URL:-nats://127.0.0.1:4222}
WAIT_SECONDS=15
# Name of the variable NATS_URL came from, for messages (the Makefile passes
# TEST_NATS_URL through NATS_URL for `make test`).
URL_VAR=${SWITCHBOARD_URL_VAR:-NATS_URL}

# Host and port of the first URL: nats://[user:pass@]host[:port]
first=${URL%%,*}
hostport=${first#*://}
hostport=${hostport%%/*}
hostport=${hostport##*@}
if [[ $hostport == \[* ]]; then # [::1]:4222
	HOST=${hostport%%]*}
	HOST=${HOST#[}
	rest=${hostport#*]}
	PORT=${rest#:}
else
	HOST=${hostport%%:*}
	PORT=${hostport#"$HOST"}
	PORT=${PORT#:}
fi
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-4222}
case $PORT in *[!0-9]*) die "cannot read a port in $URL_VAR=$URL" ;; esac
[ "$HOST" = localhost ] && CONNECT_HOST=127.0.0.1 || CONNECT_HOST=$HOST

# greeting: the first 4 bytes the server sends ("INFO" for NATS), or nothing.
greeting() {
	# shellcheck disable=SC2016 # $1 and $2 belong to the inner bash
	timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2" && head -c 4 <&3' _ "$CONNECT_HOST" "$PORT" 2>/dev/null || true
}

answers() { [ "$(greeting)" = INFO ]; }

finish() {
	log "using $URL"
	printf '%s\n' "$URL"
	exit 0
}

answers && finish

if sb_tcp_open "$CONNECT_HOST" "$PORT"; then
	die "something listens at $CONNECT_HOST:$PORT but it is not a NATS server (no INFO greeting)." \
		"Stop it, or set $URL_VAR to a NATS server."
fi
if ! sb_is_local_host "$HOST"; then
	die "nothing answers at $HOST:$PORT ($URL_VAR=$URL). Start that server, or unset $URL_VAR to use a local one."
fi

BIN=$(command -v nats-server || true)
[ -z "$BIN" ] && [ -x /usr/sbin/nats-server ] && BIN=/usr/sbin/nats-server
if [ -z "$BIN" ]; then
	if ! sb_is_root; then
		die "nats-server is not installed and nothing answers at $HOST:$PORT. Install it, then run this again:" \
			"    sudo apt-get update && sudo apt-get install -y nats-server" \
			"or set $URL_VAR to a NATS server you have."
	fi
	log "not installed; installing nats-server with apt-get"
	sb_apt_install "$P" nats-server
	BIN=/usr/sbin/nats-server
	[ -x "$BIN" ] || die "apt-get install nats-server did not install $BIN"
	# On a systemd machine the package starts its own service on 4222.
	sleep 0.5
	answers && finish
fi

if sb_is_root; then
	RUN_DIR=/run
	LOG_DIR=/var/log
else
	RUN_DIR=${XDG_RUNTIME_DIR:-/tmp}
	LOG_DIR=$RUN_DIR
fi
PIDFILE=$RUN_DIR/switchboard-nats-$PORT.pid
LOGFILE=$LOG_DIR/switchboard-nats-$PORT.log

log "nothing answers at $HOST:$PORT; starting $BIN in the background (log: $LOGFILE)"
args=(-a "$CONNECT_HOST" -p "$PORT" -l "$LOGFILE")
if sb_have start-stop-daemon; then
	# The pid file is per port, so a nats-server already running on another
	# port does not count as "already running" (--oknodo).
	start-stop-daemon --start --oknodo --background --make-pidfile --pidfile "$PIDFILE" \
		--exec "$BIN" -- "${args[@]}" >&2
else
	# No fd of ours stays open in the server, so callers capturing our
	# output (make, $(...), CI) are not kept waiting.
	nohup setsid "$BIN" "${args[@]}" </dev/null >/dev/null 2>&1 &
	echo $! >"$PIDFILE"
fi

for ((i = 0; i < WAIT_SECONDS * 4; i++)); do
	if answers; then
		log "started nats-server at $HOST:$PORT (pid $(cat "$PIDFILE" 2>/dev/null || echo '?'))"
		finish
	fi
	sleep 0.25
done
die "nats-server did not answer at $HOST:$PORT within ${WAIT_SECONDS}s; see $LOGFILE"
