# shellcheck shell=bash
# Helpers shared by the scripts/ensure-*.sh scripts. Sourced, not run.
#
# Conventions: every message goes to stderr, so that a script's stdout holds
# only the value it prints for its caller (a URL), and apt-get's own output is
# sent to stderr too.

# sb_log PREFIX MESSAGE...: one line on stderr.
sb_log() {
	local prefix=$1
	shift
	printf '%s: %s\n' "$prefix" "$*" >&2
}

# sb_loud PREFIX LINE...: a framed block on stderr, for things a person must
# not miss (a configuration file changed on their machine).
sb_loud() {
	local prefix=$1 line
	shift
	printf '%s: %s\n' "$prefix" '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!' >&2
	for line in "$@"; do
		printf '%s: !! %s\n' "$prefix" "$line" >&2
	done
	printf '%s: %s\n' "$prefix" '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!' >&2
}

sb_is_root() { [ "$(id -u)" -eq 0 ]; }

sb_have() { command -v "$1" >/dev/null 2>&1; }

# sb_tcp_open HOST PORT: true when something accepts a TCP connection there
# within 2 s. Uses bash's /dev/tcp, so it needs no client program.
sb_tcp_open() {
	# shellcheck disable=SC2016 # $1 and $2 belong to the inner bash
	timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" >/dev/null 2>&1
}

# sb_is_local_host HOST: true for the loopback names this machine can serve.
sb_is_local_host() {
	case $1 in
	127.* | localhost | ::1 | '[::1]') return 0 ;;
	*) return 1 ;;
	esac
}

# sb_apt_install PREFIX PACKAGE...: installs Debian packages (root only).
# Runs `apt-get update` once per run: SWITCHBOARD_APT_UPDATED=1 in the
# environment (set here and by .ci/run) says it has been done already.
sb_apt_install() {
	local prefix=$1
	shift
	if ! sb_have apt-get; then
		sb_log "$prefix" "apt-get not found: install $* with this system's package manager"
		return 1
	fi
	if [ -z "${SWITCHBOARD_APT_UPDATED:-}" ]; then
		sb_log "$prefix" "running apt-get update"
		apt-get update </dev/null >&2
		export SWITCHBOARD_APT_UPDATED=1
	fi
	sb_log "$prefix" "running apt-get install -y $*"
	DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" </dev/null >&2
}

# sb_systemd_running: true when systemd is PID 1 (a desktop or a VM), false
# in containers and on CI machines where services are started by hand.
sb_systemd_running() { [ -d /run/systemd/system ]; }
