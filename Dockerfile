# syntax=docker/dockerfile:1
# kvapi: the service image. docs/image.md explains the choices; ADR 0020 records why.
# Build: docker build --build-arg VERSION=1.2.3 --build-arg REVISION=$(git rev-parse HEAD) .
# BASE_IMAGE must provide python3 (>= 3.11) and pip in /usr/local/bin, as python:*-slim does.
ARG BASE_IMAGE=python:3.12-slim-bookworm
# checkov:skip=CKV_DOCKER_7:FROM ${BASE_IMAGE} is the pinned tag above; checkov cannot resolve ARGs

FROM ${BASE_IMAGE} AS builder
ARG UV_VERSION=0.13.8
# uv comes from PyPI rather than its own image: the same pinned step works wherever PyPI does.
RUN pip install --no-cache-dir --root-user-action=ignore "uv==${UV_VERSION}"
# The venv is made for the base image's interpreter and copied as is into the runtime stage,
# which uses the same base image; bytecode is compiled here because the runtime root filesystem
# is read-only. System certificates let uv work behind a TLS-intercepting proxy.
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON=/usr/local/bin/python3 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_SYSTEM_CERTS=1
WORKDIR /src
# Dependencies first, in their own layer: it is rebuilt only when uv.lock changes.
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=pyproject.toml,target=/src/pyproject.toml \
    --mount=type=bind,source=uv.lock,target=/src/uv.lock \
    uv sync --frozen --no-default-groups --no-install-project
COPY pyproject.toml uv.lock README.md ./
COPY src ./src
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-default-groups --no-editable

FROM ${BASE_IMAGE} AS runtime
ARG VERSION=dev
ARG REVISION=unknown
ARG SOURCE=unknown
LABEL org.opencontainers.image.title="kvapi" \
      org.opencontainers.image.description="Key-value HTTP service (FastAPI on Redis)" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}"
RUN groupadd --gid 10001 kvapi \
    && useradd --uid 10001 --gid kvapi --no-log-init --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin kvapi
COPY --from=builder /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:${PATH} \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    KVAPI_HOST=0.0.0.0 \
    KVAPI_PORT=8000 \
    KVAPI_LOG_FORMAT=json
WORKDIR /app
# Numeric, so that Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["kvapi", "healthcheck"]
# Exec form: gunicorn is PID 1 and receives SIGTERM itself, then drains in-flight requests.
ENTRYPOINT ["kvapi"]
CMD ["serve"]
