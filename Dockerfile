# The Chirp image: one image for every app process of docker-compose.yml: web (gunicorn,
# HTTP), ws (daphne, WebSocket), migrate, Celery worker and beat (docs/scaling.md).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so code changes do not reinstall them.
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .

# Static files are collected into the image (whitenoise serves them). Settings refuse to
# start with DEBUG off and no secrets, so this one step gets throwaway random ones (never a
# literal: a published secret is everyone's key); the running containers get theirs from
# the environment.
RUN DJANGO_DEBUG=false \
    DJANGO_SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    JWT_SIGNING_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    DJANGO_ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput

RUN useradd --system --uid 1000 --home-dir /app chirp \
    && mkdir -p /data/media /data/exports \
    && chown chirp /data/media /data/exports
USER chirp

# Production defaults: DEBUG off unless the environment says otherwise.
ENV MEDIA_ROOT=/data/media \
    DJANGO_DEBUG=false
EXPOSE 8000

# The HTTP server, exactly as docker-compose.yml's web service runs it (a test checks they
# match); compose runs migrations once in its own service before the servers start.
CMD ["gunicorn", "--config", "config/gunicorn.py", "--bind", "0.0.0.0:8000", "config.wsgi"]
