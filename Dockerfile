# syntax=docker/dockerfile:1
# The `hub` command in an image: the same pinned set as `make` (constraints.txt), installed
# non-editable and without the dev extras, run as a non-root user.
#
#   docker build -t tiers-lieux-hub .
#   docker run --rm -p 8000:8000 -v hub-data:/data tiers-lieux-hub        # a node on SQLite
#   docker compose -f deploy/compose.yaml up -d                            # a hub on PostgreSQL
#
# See deploy/README.md.

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/hub
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
# hub/schemas is a symlink to ../schemas: both are needed for the package data.
COPY schemas ./schemas
COPY hub ./hub
RUN /opt/hub/bin/pip install -c constraints.txt . \
    && /opt/hub/bin/hub --help > /dev/null

FROM python:3.11-slim
LABEL org.opencontainers.image.title="tiers-lieux-hub" \
      org.opencontainers.image.description="Federated open data hub for networks of tiers-lieux" \
      org.opencontainers.image.licenses="AGPL-3.0-or-later"
ENV PATH=/opt/hub/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN groupadd --system --gid 10001 hub \
    && useradd --system --uid 10001 --gid hub --home-dir /data --no-create-home --shell /usr/sbin/nologin hub \
    && mkdir -p /data \
    && chown hub:hub /data
COPY --from=build /opt/hub /opt/hub
# The working directory is where the default SQLite store (sqlite:///hub.db) lands: mount a
# volume on /data to keep it. On PostgreSQL nothing is written here.
WORKDIR /data
USER 10001:10001
EXPOSE 8000
# /healthz: the process answers (no database). Load balancers should use /readyz instead.
# Containers that run `hub worker` or `hub db upgrade` have no HTTP server: disable it there.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["hub", "serve", "--role", "hub", "--host", "0.0.0.0", "--port", "8000"]
