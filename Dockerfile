# One image, every part: `web`, `worker`, `scheduler`, `netloop`, `migrate` (bin/serve).
FROM python:3.12-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HEARDBACK_ENV=production \
    HEARDBACK_VAR_DIR=/var/lib/heardback
WORKDIR /app
COPY pyproject.toml uv.lock .python-version ./
COPY bin/setup bin/serve bin/
COPY heardback heardback
COPY manage.py README.md ./
RUN bin/setup && useradd --system --home /var/lib/heardback heardback \
    && mkdir -p /var/lib/heardback && chown heardback /var/lib/heardback
USER heardback
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=3)" || exit 1
ENTRYPOINT ["bin/serve"]
CMD ["web"]
