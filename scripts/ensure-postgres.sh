#!/usr/bin/env bash
# Usage: scripts/ensure-postgres.sh [dbname]        (default dbname: switchboard)
#
# Makes sure a PostgreSQL server answers and that database DBNAME exists on
# it, then prints the DATABASE_URL to use as the last (only) line of stdout.
# Everything else it says goes to stderr, each line starting "PostgreSQL:".
#
# How it decides:
#   1. DATABASE_URL set (non-empty): that server is used as is. The script
#      only checks that it answers and creates the URL's database when it is
#      missing and the URL's user may do so. It never starts or installs
#      anything for an explicit URL.
#   2. Otherwise: postgres://postgres@127.0.0.1:$PGPORT/DBNAME?sslmode=disable
#      (PGPORT defaults to 5432). When nothing answers there:
#        - a cluster on that port is known to pg_lsclusters: start it;
#        - PostgreSQL is not installed: as root, apt-get install postgresql
#          (Debian creates and usually starts cluster VER/main), then start it;
#          not root: print the commands to run and exit 1;
#        - PostgreSQL is installed with no cluster at all: as root, create
#          cluster VER/main on that port (pg_createcluster) and start it;
#        - clusters exist, on other ports only: say which, exit 1.
#      Then wait up to 30 s for it to accept connections.
#   3. Connect as postgres over TCP. A cluster made by Debian's packages
#      refuses that (scram-sha-256 for 127.0.0.1, and the postgres role has
#      no password). As root, for a local cluster, the script then puts
#          host all all 127.0.0.1/32 trust
#      at the top of that cluster's pg_hba.conf and reloads, saying so loudly.
#      Why trust rather than a password: it makes the URL the same on every
#      machine (CI machines of this project already run PostgreSQL with trust
#      auth on 127.0.0.1), keeps secrets out of URLs, Makefiles and logs, and
#      needs no state to be remembered between runs. The cost is that any
#      local user can log in as any role over 127.0.0.1: acceptable on a
#      development or CI machine, NOT on a shared or production one, which is
#      why it is only done as root, only for a cluster on this machine, and
#      marked in the file so a person can find and remove it. Not root: the
#      script prints both fixes (trust line, or a password + DATABASE_URL).
#   4. Create DBNAME when absent (SELECT 1 FROM pg_database ...).
#
# When everything is already up this costs one pg_isready and one or two psql
# calls (well under a second). Safe to run any number of times.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

P=PostgreSQL
log() { sb_log "$P" "$@"; }
# die LINE...: each argument may hold several lines; each gets the prefix.
die() {
	local arg line
	for arg in "$@"; do
		while IFS= read -r line; do sb_log "$P" "$line"; done <<<"$arg"
	done
	exit 1
}
# errors: psql's error output, indented, each distinct line once.
errors() { awk '!seen[$0]++ { print "    " $0 }' "$ERRF"; }

DB=${1:-switchboard}
HOST=127.0.0.1
PORT=${PGPORT:-5432}
case $PORT in '' | *[!0-9]*) die "PGPORT must be a port number, got '$PORT'" ;; esac
WAIT_SECONDS=30
# Name of the variable DATABASE_URL came from, for messages (the Makefile
# passes TEST_DATABASE_URL through DATABASE_URL for `make test`).
URL_VAR=${SWITCHBOARD_URL_VAR:-DATABASE_URL}
HBA_MARKER='# switchboard scripts/ensure-postgres.sh: DEV MACHINE ONLY'

export PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-5}
# -X: no ~/.psqlrc; -w: never prompt for a password (there may be no stdin).
PSQL=(psql -X -w -q -t -A -v ON_ERROR_STOP=1)

ERRF=$(mktemp)
trap 'rm -f "$ERRF"' EXIT

# mask URL: the URL with its password, if any, replaced by ***.
mask() { printf '%s' "$1" | sed -E 's#^([a-z]+://[^:/@]*):[^@/]*@#\1:***@#'; }

urldecode() {
	local s=${1//+/ }
	printf '%b' "${s//%/\\x}"
}

# split_url URL: sets URL_DB (decoded database name, may be empty) and
# URL_ADMIN (the same URL pointing at database "postgres"). Returns 1 when
# URL is not a postgres:// or postgresql:// URL (e.g. "host=... dbname=...").
split_url() {
	local url=$1 scheme rest query='' authority path=''
	case $url in postgres://* | postgresql://*) ;; *) return 1 ;; esac
	scheme=${url%%://*}
	rest=${url#*://}
	if [[ $rest == *\?* ]]; then
		query="?${rest#*\?}"
		rest=${rest%%\?*}
	fi
	authority=${rest%%/*}
	[[ $rest == */* ]] && path=${rest#*/}
	URL_DB=$(urldecode "$path")
	URL_ADMIN="$scheme://$authority/postgres$query"
}

# ready URL: true when the server accepts connections (no authentication is
# tried: pg_isready only asks whether it would accept one).
ready() { pg_isready -q -t 3 -d "$1" >/dev/null 2>&1; }

wait_ready() {
	local url=$1 i
	for ((i = 0; i < WAIT_SECONDS; i++)); do
		ready "$url" && return 0
		sleep 1
	done
	ready "$url"
}

# ensure_database URL ADMIN_URL DB: 0 when DB exists (created if needed);
# 2 when no connection could be made (the error is in $ERRF); 1 otherwise.
ensure_database() {
	local url=$1 admin=$2 db=$3 exists
	if [ -z "$db" ] || [ "$db" = postgres ]; then
		"${PSQL[@]}" -d "$url" -c 'SELECT 1' >/dev/null 2>"$ERRF" && return 0
		return 2
	fi
	if ! exists=$(printf '%s\n' "SELECT 1 FROM pg_database WHERE datname = :'db';" |
		"${PSQL[@]}" -v db="$db" -d "$admin" 2>"$ERRF"); then
		# No way in through database "postgres": maybe the target itself is
		# reachable (a user allowed only there).
		"${PSQL[@]}" -d "$url" -c 'SELECT 1' >/dev/null 2>>"$ERRF" && return 0
		return 2
	fi
	[ "$exists" = 1 ] && return 0
	log "creating database $db"
	if printf '%s\n' 'CREATE DATABASE :"db";' |
		"${PSQL[@]}" -v db="$db" -d "$admin" >/dev/null 2>"$ERRF"; then
		return 0
	fi
	# Lost a race with a concurrent run? Then it exists now.
	exists=$(printf '%s\n' "SELECT 1 FROM pg_database WHERE datname = :'db';" |
		"${PSQL[@]}" -v db="$db" -d "$admin" 2>/dev/null) || true
	[ "$exists" = 1 ] && return 0
	return 1
}

# cluster_on_port PORT: prints "VERSION NAME STATUS OWNER" of the
# pg_lsclusters cluster configured for PORT, or nothing.
cluster_on_port() {
	sb_have pg_lsclusters || return 0
	pg_lsclusters -h 2>/dev/null | awk -v p="$1" '$3 == p { print $1, $2, $4, $5; exit }'
}

server_installed() {
	sb_have pg_lsclusters && compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null
}

newest_version() {
	find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/postgres' 2>/dev/null |
		awk -F/ '{ print $5 }' | sort -n | tail -n 1
}

# cluster_ctl ACTION VERSION NAME: start/reload a cluster, through systemd
# when systemd runs the machine, directly otherwise (containers, CI).
cluster_ctl() {
	local action=$1 ver=$2 name=$3
	if sb_systemd_running && sb_is_root; then
		systemctl "$action" "postgresql@$ver-$name" >&2
	else
		pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" "$action" >&2
	fi
}

install_server() {
	if ! sb_is_root; then
		die "not installed (no PostgreSQL server on this machine, nothing answers at $HOST:$PORT)." \
			"Install it, then run this again:" \
			"    sudo apt-get update && sudo apt-get install -y postgresql" \
			"or point $URL_VAR at a PostgreSQL you have."
	fi
	log "not installed; installing postgresql with apt-get"
	sb_apt_install "$P" postgresql
	server_installed || die "apt-get install postgresql did not install a server"
}

# start_local: make something answer at $HOST:$PORT, or exit.
start_local() {
	local info ver name status owner others
	info=$(cluster_on_port "$PORT")
	if [ -z "$info" ]; then
		if ! server_installed; then
			install_server
			info=$(cluster_on_port "$PORT")
		fi
	fi
	if [ -z "$info" ]; then
		others=$(pg_lsclusters -h 2>/dev/null | awk '{ printf "  %s/%s on port %s (%s)\n", $1, $2, $3, $4 }')
		if [ -n "$others" ]; then
			die "nothing answers at $HOST:$PORT and no cluster is configured for port $PORT. Clusters here:" \
				"$others" \
				"Set PGPORT to one of those ports, or $URL_VAR to a server you have."
		fi
		ver=$(newest_version)
		if ! sb_is_root; then
			die "installed, but there is no cluster. Create and start one, then run this again:" \
				"    sudo pg_createcluster $ver main --port $PORT --start"
		fi
		log "installed, but there is no cluster: creating cluster $ver/main on port $PORT"
		pg_createcluster "$ver" main --port "$PORT" >&2
		info=$(cluster_on_port "$PORT")
		[ -n "$info" ] || die "pg_createcluster did not create a cluster on port $PORT"
	fi
	read -r ver name status owner <<<"$info"

	# apt-get's postinst may just have started it.
	if ready "$ADMIN_URL"; then
		log "cluster $ver/$name is up"
		return 0
	fi
	if sb_is_root || [ "$owner" = "$(id -un)" ]; then
		if [[ $status == online* ]]; then
			log "cluster $ver/$name is $status but not answering yet; waiting"
		else
			log "nothing answers at $HOST:$PORT; starting the installed cluster $ver/$name"
			cluster_ctl start "$ver" "$name" ||
				die "could not start cluster $ver/$name; see /var/log/postgresql/postgresql-$ver-$name.log"
		fi
	else
		die "the installed cluster $ver/$name (port $PORT) is $status. Start it, then run this again:" \
			"    sudo pg_ctlcluster $ver $name start     (or: sudo systemctl start postgresql@$ver-$name)"
	fi
	wait_ready "$ADMIN_URL" ||
		die "cluster $ver/$name did not accept connections on $HOST:$PORT within ${WAIT_SECONDS}s." \
			"See /var/log/postgresql/postgresql-$ver-$name.log, and check listen_addresses in /etc/postgresql/$ver/$name/postgresql.conf"
	log "started the installed cluster $ver/$name"
}

# trust_loopback: see point 3 at the top. Returns 1 when it cannot help.
trust_loopback() {
	local info ver name status owner hba
	info=$(cluster_on_port "$PORT")
	[ -n "$info" ] || return 1
	read -r ver name status owner <<<"$info"
	hba=/etc/postgresql/$ver/$name/pg_hba.conf
	if ! sb_is_root; then
		die "cannot log in as postgres at $HOST:$PORT (password authentication, as Debian sets it up):" \
			"$(errors)" \
			"On a development machine, either let local TCP logins in without a password:" \
			"    sudo sed -i '1i host all all 127.0.0.1/32 trust' $hba && sudo pg_ctlcluster $ver $name reload" \
			"or give postgres a password and pass it in $URL_VAR:" \
			"    sudo -u postgres psql -p $PORT -c \"ALTER USER postgres PASSWORD 'postgres'\"" \
			"    export $URL_VAR='postgres://postgres:postgres@$HOST:$PORT/$DB?sslmode=disable'"
	fi
	[ -f "$hba" ] || return 1
	grep -qF "$HBA_MARKER" "$hba" && return 1 # already done: something else is wrong
	sb_loud "$P" \
		"cluster $ver/$name refuses password-less TCP logins (Debian's default)." \
		"Adding 'host all all 127.0.0.1/32 trust' at the top of" \
		"    $hba" \
		"and reloading: any local user can now log in to this cluster over" \
		"127.0.0.1 as any role. Fine for a DEVELOPMENT / CI machine only." \
		"To undo: delete the two lines marked 'switchboard' and reload."
	sed -i "1i $HBA_MARKER (remove both lines to undo)\nhost all all 127.0.0.1/32 trust" "$hba"
	cluster_ctl reload "$ver" "$name" || die "could not reload cluster $ver/$name"
	# The postmaster rereads pg_hba.conf asynchronously after SIGHUP.
	local i
	for ((i = 0; i < 20; i++)); do
		"${PSQL[@]}" -d "$ADMIN_URL" -c 'SELECT 1' >/dev/null 2>&1 && return 0
		sleep 0.25
	done
	return 0
}

# ---- 1. An explicit DATABASE_URL -----------------------------------------
if [ -n "${DATABASE_URL:-}" ]; then
	url=$DATABASE_URL
	if ! sb_have pg_isready || ! sb_have psql; then
		die "psql/pg_isready not found; install the client: sudo apt-get install -y postgresql-client"
	fi
	ready "$url" ||
		die "$URL_VAR is set, but nothing answers at $(mask "$url")." \
			"Start that server, or unset $URL_VAR to let this script use (and if needed start) a local one."
	if split_url "$url"; then
		rc=0
		ensure_database "$url" "$URL_ADMIN" "$URL_DB" || rc=$?
		if [ "$rc" -ne 0 ]; then
			die "$URL_VAR answers but its database ${URL_DB:-?} is not usable:" "$(errors)"
		fi
	else
		"${PSQL[@]}" -d "$url" -c 'SELECT 1' >/dev/null 2>"$ERRF" ||
			die "cannot connect with $URL_VAR:" "$(errors)"
	fi
	log "using $(mask "$url")"
	printf '%s\n' "$url"
	exit 0
fi

# ---- 2. The local default -------------------------------------------------
URL="postgres://postgres@$HOST:$PORT/$DB?sslmode=disable"
ADMIN_URL="postgres://postgres@$HOST:$PORT/postgres?sslmode=disable"

if ! sb_have pg_isready || ! sb_have psql; then
	if sb_tcp_open "$HOST" "$PORT"; then
		# A server answers (not from this machine's packages): only the client is missing.
		sb_is_root || die "something answers at $HOST:$PORT but psql is not installed:" \
			"    sudo apt-get update && sudo apt-get install -y postgresql-client"
		log "psql not installed; installing postgresql-client with apt-get"
		sb_apt_install "$P" postgresql-client
		if ! sb_have psql || ! sb_have pg_isready; then
			die "apt-get install postgresql-client did not install psql"
		fi
	else
		install_server
	fi
fi

if ! ready "$ADMIN_URL"; then
	start_local
fi

rc=0
ensure_database "$URL" "$ADMIN_URL" "$DB" || rc=$?
if [ "$rc" -eq 2 ] && trust_loopback; then
	rc=0
	ensure_database "$URL" "$ADMIN_URL" "$DB" || rc=$?
fi
if [ "$rc" -ne 0 ]; then
	die "a server answers at $HOST:$PORT, but database $DB could not be reached or created as user postgres:" \
		"$(errors)" \
		"Set $URL_VAR to a URL that works (user, password, database) and run this again."
fi

log "using $URL"
printf '%s\n' "$URL"
