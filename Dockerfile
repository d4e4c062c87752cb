# Tessera: one image for the web process (gunicorn) and the Celery worker and beat.
# Build: docker build -t tessera .   Run the stack: docker compose up --build (see README.md).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    WEB_CONCURRENCY=3

# Shared libraries WeasyPrint loads at run time (Pango, HarfBuzz, fontconfig) and a font for PDFs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz0b \
        libharfbuzz-subset0 \
        libfontconfig1 \
        fonts-dejavu-core \
        gettext \
    && rm -rf /var/lib/apt/lists/*

# The application runs as an unprivileged user; the code itself stays owned by root.
RUN groupadd --system --gid 1000 tessera \
    && useradd --system --uid 1000 --gid tessera --create-home --home-dir /home/tessera tessera

WORKDIR /app

# Pinned runtime dependencies first, so that code changes reuse this layer. Only the runtime
# lock: the test libraries and tools (requirements/dev.lock) stay out of the image.
COPY requirements/base.lock requirements/
RUN pip install -r requirements/base.lock

COPY . .

# Register the project itself, then collect static files (STATIC_ROOT, /app/staticfiles: the
# path compose shares with the proxy; whitenoise serves them too) and compile the
# translations. The production settings
# need SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL to import; these dummy values exist only in this
# build step (collectstatic does not touch the database) and are not kept in the image.
RUN pip install --no-deps -e . \
    && SECRET_KEY=collectstatic-build-only-not-a-secret \
       ALLOWED_HOSTS=localhost \
       DATABASE_URL=sqlite:////tmp/collectstatic.sqlite3 \
       sh -c "python manage.py collectstatic --noinput && python manage.py compilemessages -v0" \
    && mkdir -p /app/media /var/lib/tessera/beat \
    && chown -R tessera:tessera /app/media /app/staticfiles /var/lib/tessera

USER tessera

EXPOSE 8000

# Workers: WEB_CONCURRENCY (read by gunicorn). In compose the proxy (deploy/nginx.conf) serves
# static files and media; whitenoise serves static files when the app is reached directly.
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
