#!/usr/bin/env bash
# Usage: scripts/ensure-chromium.sh
#
# Makes sure a Chromium the browser tests (e2e/, chromedp) can start is on
# this machine and prints its path as the last (only) line of stdout;
# everything else goes to stderr, each line starting "Chromium:".
# CHROMIUM_PATH, when set, is used (and only checked). Otherwise Debian's
# chromium is looked for and, when missing, installed with apt-get (root;
# not root: the command to run is printed and it exits 1).
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

P=Chromium
if [ -n "${CHROMIUM_PATH:-}" ]; then
	[ -x "$CHROMIUM_PATH" ] || { sb_log "$P" "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable"; exit 1; }
	echo "$CHROMIUM_PATH"
	exit 0
fi
for name in chromium chromium-browser; do
	if sb_have "$name"; then
		command -v "$name"
		exit 0
	fi
done
if ! sb_is_root; then
	sb_log "$P" "not found; install it: sudo apt-get install chromium (or set CHROMIUM_PATH)"
	exit 1
fi
sb_apt_install "$P" chromium
sb_have chromium || { sb_log "$P" "still missing after apt-get install chromium"; exit 1; }
sb_log "$P" "installed $(chromium --version 2>/dev/null | head -n 1)"
command -v chromium
