#!/bin/sh
# Builds REFLEX_REDIS_URL from its parts: ECS injects the ElastiCache endpoint (REDIS_HOST/REDIS_PORT, plain
# environment) and the AUTH token (REDIS_AUTH_TOKEN, from Secrets Manager) separately, so the token never sits in
# the task definition. TLS in transit: rediss://. Without REDIS_HOST (local runs) Reflex keeps its default manager.
set -eu
if [ -n "${REDIS_HOST:-}" ] && [ -z "${REFLEX_REDIS_URL:-}" ]; then
    REFLEX_REDIS_URL="rediss://:${REDIS_AUTH_TOKEN:?REDIS_AUTH_TOKEN is required with REDIS_HOST}@${REDIS_HOST}:${REDIS_PORT:-6379}/0"
    export REFLEX_REDIS_URL
fi
unset REDIS_AUTH_TOKEN
exec "$@"
