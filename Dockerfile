# syntax=docker/dockerfile:1
# One image per Chorus service, chosen by build argument:
#
#   docker build --build-arg SERVICE=registry -t chorus/registry:0.1.0 .
#
# SERVICE is registry, opportunities, feedback or notifications. The image runs
# `chorus serve <service>`; migrations are the separate command `chorus migrate <service>`.
# The final stage holds Python, the service's locked dependencies and nothing to build with;
# it runs as an unprivileged user and writes nothing outside /tmp, so a read-only root
# filesystem works.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.9

FROM ${UV_IMAGE} AS uv

FROM ${PYTHON_IMAGE} AS build
ARG SERVICE
RUN test -n "${SERVICE}" || { echo "build with --build-arg SERVICE=<service>" >&2; exit 1; }
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
# The workspace's manifests and lock first: the dependencies are a layer of their own, made
# again only when the lock changes.
COPY pyproject.toml uv.lock ./
COPY shared/pyproject.toml shared/
COPY services/registry/pyproject.toml services/registry/
COPY services/opportunities/pyproject.toml services/opportunities/
COPY services/feedback/pyproject.toml services/feedback/
COPY services/notifications/pyproject.toml services/notifications/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-workspace --package "chorus-${SERVICE}"
# Then the kernel and this one service, installed as packages (not links to /src).
COPY shared/ shared/
COPY services/${SERVICE}/ services/${SERVICE}/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package "chorus-${SERVICE}"

FROM ${PYTHON_IMAGE} AS runtime
ARG SERVICE
LABEL org.opencontainers.image.title="chorus-${SERVICE}" \
      org.opencontainers.image.description="Chorus ${SERVICE} service"
RUN groupadd --system --gid 10001 chorus \
    && useradd --system --uid 10001 --gid chorus --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin chorus
COPY --from=build /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:${PATH} \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CHORUS_IMAGE_SERVICE=${SERVICE} \
    CHORUS_HOST=0.0.0.0 \
    CHORUS_DATA_DIR=/tmp/chorus
WORKDIR /tmp
USER 10001:10001
# `exec` so that the service is PID 1 and gets SIGTERM; Kubernetes names the command itself.
CMD ["/bin/sh", "-c", "exec chorus serve \"${CHORUS_IMAGE_SERVICE}\""]
