#!/bin/sh
# Fails on its first attempt, as a flaky network call would; the retry succeeds.
cat >/dev/null
if [ "$Q_ATTEMPT" -lt 2 ]; then
    echo "image server timed out" >&2
    exit 1
fi
echo "resized on attempt $Q_ATTEMPT"
