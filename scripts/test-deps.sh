#!/usr/bin/env bash
# System programs the test suite runs for real: redis-server (and redis-cli, which joins the
# cluster test's nodes), Debian's Chromium for the browser test (never a downloaded browser),
# npm for the `eventsource` client, and openssl, which makes the TLS test's certificate.
# Installs what is missing with apt-get (Debian; root).
set -euo pipefail

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-cli >/dev/null || missing+=(redis-tools)
command -v chromium >/dev/null || command -v chromium-browser >/dev/null || missing+=(chromium)
command -v npm >/dev/null || missing+=(npm)
command -v openssl >/dev/null || missing+=(openssl)
if ((${#missing[@]})); then
    if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
        echo "the tests need: ${missing[*]} (Debian: apt-get install ${missing[*]})" >&2
        exit 1
    fi
    echo "installing ${missing[*]} for the tests" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
