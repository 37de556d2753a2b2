#!/bin/sh
# Reads the job's payload from stdin and "sends" it.
payload=$(cat)
echo "sending email (attempt $Q_ATTEMPT): $payload"
