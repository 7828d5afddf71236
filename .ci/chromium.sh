#!/usr/bin/env bash
# make test: Debian's Chromium for the studio's browser tests (Playwright drives it; no
# browser download). Installs it with apt-get when it is missing and this is root.
# Exit 0: /usr/bin/chromium is there. Exit 1: it is not, and the reason is on stderr (the
# studio tests then skip, and pytest's closing summary says so).
set -uo pipefail

CHROMIUM=/usr/bin/chromium

log() { echo "chromium.sh: $*" >&2; }

[ -x "$CHROMIUM" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  log "$CHROMIUM is absent and this is not root: cannot apt-get install chromium"
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  log "$CHROMIUM is absent and there is no apt-get to install it with"
  exit 1
fi
log "installing Chromium (apt-get)"
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq chromium; } >&2; then
  log "apt-get could not install chromium"
  exit 1
fi
[ -x "$CHROMIUM" ] || { log "chromium installed, but $CHROMIUM is absent"; exit 1; }
