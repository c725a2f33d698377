# The Reflex backend (state handlers + websocket) for ECS Fargate: `reflex run --env prod --backend-only` on 8000.
# The static UI is not in this image: it is exported (`make export`) and served by S3 + CloudFront.
# Built by the CDK CLI at deploy time (deploy/stacks/reflex_backend.py); synthesis only stages this context.

FROM python:3.12-slim AS build
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
COPY pyproject.toml uv.lock ./
# Runtime dependencies only (no dev/local/deploy groups), exactly as locked.
RUN uv sync --locked --no-dev --no-install-project

FROM python:3.12-slim
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home app
WORKDIR /app
COPY --from=build /app/.venv /app/.venv
COPY rxconfig.py ./
COPY assets ./assets
COPY backend ./backend
COPY taskmanager_pro ./taskmanager_pro
COPY deploy/container/entrypoint.sh /usr/local/bin/entrypoint.sh
# Reflex writes .web/ (compiled app metadata) and .states/ in the working directory.
RUN mkdir -p .web .states && chown -R app:app /app && chmod 0755 /usr/local/bin/entrypoint.sh
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    REFLEX_TELEMETRY_ENABLED=false \
    REFLEX_CHECK_LATEST_VERSION=0
USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/ping', timeout=4)"]
ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]
CMD ["reflex", "run", "--env", "prod", "--backend-only", "--backend-host", "0.0.0.0", "--backend-port", "8000"]
