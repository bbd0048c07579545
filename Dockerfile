# syntax=docker/dockerfile:1
# One image per Chorus service, chosen by build argument:
#
#   docker build --build-arg SERVICE=registry -t chorus/registry:0.1.0 .
#
# SERVICE is registry, opportunities, feedback or notifications. The image runs
# `chorus serve <service>`; migrations are the separate command `chorus migrate <service>`.
#
# The portal (the web pages) is the stage `portal`:
#
#   docker build --target portal --build-arg SERVICE=portal -t chorus/portal:0.1.0 .
#
# It runs `python -m portal`, with the front-end packages it serves (nhsuk-frontend and
# htmx.org, from services/portal/package-lock.json) installed by npm in a stage of their own.
#
# The final stages hold Python, the locked dependencies and nothing to build with (no uv, no
# Node); they run as an unprivileged user and write nothing outside /tmp, so a read-only root
# filesystem works.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.9
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${UV_IMAGE} AS uv

# The portal's front-end packages, exactly as the lock file pins them. `--omit=dev` leaves
# out axe-core (the browser tests' accessibility checker); no package's scripts run.
FROM ${NODE_IMAGE} AS assets
WORKDIR /assets
COPY services/portal/package.json services/portal/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund

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
COPY services/portal/pyproject.toml services/portal/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-workspace --package "chorus-${SERVICE}"
# Then the kernel and this one service, installed as packages (not links to /src).
COPY shared/ shared/
COPY services/${SERVICE}/ services/${SERVICE}/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package "chorus-${SERVICE}"

FROM ${PYTHON_IMAGE} AS portal
ARG SERVICE
RUN test "${SERVICE}" = portal \
    || { echo "the portal stage takes --build-arg SERVICE=portal" >&2; exit 1; }
LABEL org.opencontainers.image.title="chorus-portal" \
      org.opencontainers.image.description="Chorus portal: the web pages"
RUN groupadd --system --gid 10001 chorus \
    && useradd --system --uid 10001 --gid chorus --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin chorus
COPY --from=build /app/.venv /app/.venv
COPY --from=assets /assets/node_modules /app/portal-assets
ENV PATH=/app/.venv/bin:${PATH} \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CHORUS_HOST=0.0.0.0 \
    CHORUS_DATA_DIR=/tmp/chorus \
    CHORUS_PORTAL_ASSETS_DIR=/app/portal-assets
WORKDIR /tmp
USER 10001:10001
CMD ["python", "-m", "portal"]

# The services' image: the last stage, so the one built when no --target is given.
FROM ${PYTHON_IMAGE} AS runtime
ARG SERVICE
LABEL org.opencontainers.image.title="chorus-${SERVICE}" \
      org.opencontainers.image.description="Chorus ${SERVICE} service"
RUN test "${SERVICE}" != portal \
    || { echo "build the portal with --target portal" >&2; exit 1; }
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
