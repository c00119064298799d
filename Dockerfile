# One image for web, worker and beat (docker-compose.yml picks the command).
FROM node:20-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error \
 && mkdir -p vendor \
 && cp node_modules/htmx.org/dist/htmx.min.js vendor/ \
 && cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/dist/chart.umd.min.js.map vendor/

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=returns_portal.settings.production
# WeasyPrint needs Pango; fonts for labels and packing slips.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
      libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* \
 && pip install --no-cache-dir uv \
 && useradd --create-home --uid 1000 portal
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY --chown=portal:portal . .
COPY --from=assets --chown=portal:portal /src/vendor/ static/vendor/
# collectstatic needs settings that import; these throwaway values never reach run time.
RUN SECRET_KEY=build TRACKING_WEBHOOK_SECRET=build ALLOWED_HOSTS=build \
    python manage.py collectstatic --noinput -v0 \
 && mkdir -p /app/media && chown portal:portal /app/media /app/staticfiles
USER portal
EXPOSE 8000
CMD ["gunicorn", "returns_portal.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-"]
