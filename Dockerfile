# The tipgraph API. Neo4j runs beside it (docker-compose.yml); this image holds no database.
FROM python:3.11-slim AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    TIPGRAPH_STATE_DIR=/var/lib/tipgraph \
    TIPGRAPH_MIGRATIONS_DIR=/app/migrations

WORKDIR /app
RUN useradd --system --create-home --home-dir /var/lib/tipgraph tipgraph

COPY pyproject.toml README.md ./
COPY api ./api
COPY authz ./authz
COPY bench ./bench
COPY graph ./graph
COPY resolvers ./resolvers
COPY migrations ./migrations
RUN pip install --no-cache-dir . \
    && rm -rf /root/.cache

USER tipgraph
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz').status == 200 else 1)"

# Apply pending migrations (locked against concurrent replicas), then serve.
CMD ["sh", "-c", "tipgraph migrate && exec tipgraph serve --host 0.0.0.0 --port 8000"]
