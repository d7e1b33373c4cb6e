# SignalPilot: slim multi-stage image, non-root, database on a volume.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY engine engine
COPY bot bot
COPY config config
RUN pip install --no-cache-dir --upgrade pip \
 && pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PYTHONPATH=/app
RUN useradd --create-home --uid 10001 signalpilot
COPY --from=build /install /usr/local
WORKDIR /app
# the source tree (with locales/) is what runs; the installed copy provides the command and dependencies
COPY engine engine
COPY bot bot
COPY config config
COPY locales locales
RUN mkdir -p /app/data && chown signalpilot:signalpilot /app/data
VOLUME ["/app/data"]
USER signalpilot
# /healthz, /readyz and /metrics on 8081 (8080 stays free for Telegram's webhook mode)
ENV SP_HTTP__ENABLED=true SP_HTTP__PORT=8081
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('SP_HTTP__PORT', '8081') + '/healthz', timeout=4)"
CMD ["signalpilot", "run"]
