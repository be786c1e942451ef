#!/bin/sh
# Lints the man page with groff and, when installed, mandoc. Exits non-zero on any warning.
set -eu
page="$(dirname "$0")/../man/jetstream-tail.1"
out=$(groff -man -ww -z "$page" 2>&1)
if [ -n "$out" ]; then printf '%s\n' "$out" >&2; exit 1; fi
if command -v mandoc >/dev/null 2>&1; then
    mandoc -Tlint -W all "$page"
else
    echo "check-man: mandoc not installed (apt-get install mandoc); checked with groff only" >&2
fi
