#!/usr/bin/env bash
# The README's test command: installs what the tests need on a fresh Debian machine (sipp, PostgreSQL,
# Chromium for the browser tests, rtpengine, the npm packages), starts a throwaway PostgreSQL on loopback, and runs typecheck, lint and every test.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v sipp >/dev/null 2>&1 || need+=(sip-tester)
command -v baresip >/dev/null 2>&1 || need+=(baresip)
command -v linphonec >/dev/null 2>&1 || need+=(linphone-cli)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# rtpengine for the media backend tests (they start their own userspace instance on loopback).
command -v rtpengine >/dev/null 2>&1 || need+=(rtpengine-daemon)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "missing system packages: ${need[*]} (run as root, or: sudo apt-get install ${need[*]})" >&2
    exit 1
  fi
fi

npm ci --no-audit --no-fund

pgdir=$(mktemp -d /tmp/zentrale-pg.XXXXXX)
cleanup() { bash scripts/pg.sh stop "$pgdir" >/dev/null 2>&1 || true; }
trap cleanup EXIT
ZENTRALE_TEST_PG_URL=$(bash scripts/pg.sh start "$pgdir")
export ZENTRALE_TEST_PG_URL

npm run typecheck
npm run lint
npm test
