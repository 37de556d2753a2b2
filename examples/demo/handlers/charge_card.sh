#!/bin/sh
# Always declines: after 1 + max_retries attempts the job goes to the dead letters.
cat >/dev/null
echo "card declined (attempt $Q_ATTEMPT of $((Q_MAX_RETRIES + 1)))" >&2
exit 1
