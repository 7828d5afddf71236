#!/usr/bin/env bash
# make test's setup scripts (.ci/chromium.sh, .ci/postgres.sh): install Debian packages
# where this machine allows it, as root with apt-get. Exit 0 when installed; exit 1 with
# the reason on stderr when not (not root, no apt-get, apt-get failed).
# Usage: .ci/apt-install.sh WHO PACKAGE...   (WHO names the caller in the messages)
set -uo pipefail

who=$1
shift
log() { echo "$who: $*" >&2; }

if [ "$(id -u)" != 0 ]; then
  log "$* is not installed and this is not root: cannot apt-get install it"
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  log "$* is not installed and there is no apt-get to install it with"
  exit 1
fi
log "installing $* (apt-get)"
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq "$@"; } >&2; then
  log "apt-get could not install $*"
  exit 1
fi
