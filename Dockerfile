# cxbot: slim Python 3.11, a non-root user, the database on a volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SURVEYS_DIR=/app/bot/surveys \
    LOCALES_DIR=/app/bot/locales \
    DATABASE=/data/cxbot.sqlite3

RUN useradd --system --create-home --uid 10001 cxbot \
    && mkdir -p /data && chown cxbot /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install . \
    # surveys and catalogs are checked at build: a broken file fails the build, not the start
    && cxbot validate

USER cxbot
VOLUME ["/data"]
CMD ["cxbot", "run"]
