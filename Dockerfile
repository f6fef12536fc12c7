# Kairan's one image: web (gunicorn), Celery worker and beat, and the one-shot migrate all
# run from it with different commands (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    KAIRAN_VAR_DIR=/var/lib/kairan \
    KAIRAN_STATIC_ROOT=/app/static-collected

WORKDIR /app

# Exactly the locked dependencies, each checked against its hash. This layer changes only
# when the lock does.
COPY requirements/base.lock requirements/base.lock
RUN pip install --require-hashes -r requirements/base.lock

# An unprivileged user owns only the data folder (uploads; a volume in docker-compose.yml)
# and the collected static files; the code stays root's and read-only to the app.
RUN groupadd --system --gid 10001 kairan \
 && useradd --system --uid 10001 --gid kairan --home-dir /var/lib/kairan \
        --shell /usr/sbin/nologin kairan \
 && mkdir -p /var/lib/kairan /app/static-collected \
 && chown kairan:kairan /var/lib/kairan /app/static-collected

# The code (what .dockerignore leaves out stays out: the virtualenv, var/, tests, docs).
COPY . .

USER kairan

# Static files go into the image (whitenoise serves them with hashed names). The settings
# refuse to load without production values; these placeholders exist only for this step.
RUN SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost EMAIL_HOST=localhost \
    python manage.py collectstatic --noinput --verbosity 0

EXPOSE 8000
# Workers: WEB_CONCURRENCY (gunicorn reads it). Behind a TLS proxy, see docs/operations.md.
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
