#!/usr/bin/env bash
# make test: Debian's Chromium for the studio's browser tests (Playwright drives it; no
# browser download). Installs it with apt-get when it is missing and this is root.
# Exit 0: /usr/bin/chromium is there. Exit 1: it is not, and the reason is on stderr (the
# studio tests then skip, and pytest's closing summary says so).
set -uo pipefail

CHROMIUM=/usr/bin/chromium

log() { echo "chromium.sh: $*" >&2; }

[ -x "$CHROMIUM" ] && exit 0
"$(dirname "$0")/apt-install.sh" chromium.sh chromium || exit 1
[ -x "$CHROMIUM" ] || { log "chromium installed, but $CHROMIUM is absent"; exit 1; }
