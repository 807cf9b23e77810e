# The app's image for compose.yaml (docs/deploy.md). One image serves every worker process:
# `python app.py` with FORUM_WORKERS=N starts N gevent processes on one port.
FROM python:3.12-slim-bookworm

# WeasyPrint (PDF downloads) draws with Pango; Noto CJK gives Korean text its glyphs in the PDF.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /srv/forum
COPY pyproject.toml constraints.txt ./
COPY forum ./forum
RUN pip install --no-cache-dir -c constraints.txt -e .
COPY . .

# Nothing runs as root; the instance folder (secret key file, PDF cache, compiled catalogues) is a volume.
RUN useradd --system --home-dir /srv/forum forum && mkdir -p /srv/forum/instance && chown forum /srv/forum/instance
USER forum
ENV FORUM_HOST=0.0.0.0 \
    FORUM_PORT=5000 \
    FORUM_INSTANCE_PATH=/srv/forum/instance
EXPOSE 5000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:5000/healthz', timeout=4).status != 200)"
# Bring the database to the current schema, then serve.
CMD ["sh", "-c", "flask --app app forum upgrade && exec python app.py"]
