# cxbot: slim Python 3.11, a non-root user, the database on a volume.
# The image installs the wheel, as a user would: surveys and catalogs come inside the package.
FROM python:3.11-slim AS wheel

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip wheel --no-deps --wheel-dir /wheels .

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE=/data/cxbot.sqlite3 \
    WEB_HOST=0.0.0.0

RUN useradd --system --create-home --uid 10001 cxbot \
    && mkdir -p /data && chown cxbot /data

COPY --from=wheel /wheels /wheels
RUN pip install /wheels/*.whl \
    && rm -rf /wheels \
    # surveys and catalogs are checked at build: a broken file fails the build, not the start
    && cxbot validate

USER cxbot
WORKDIR /home/cxbot
VOLUME ["/data"]
CMD ["cxbot", "run"]
