# The service with its embedded defaults: no keys, no network needed at run time.
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends espeak-ng libespeak-ng1 libsndfile1 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY moderator ./moderator
COPY voice_server ./voice_server
COPY audio_fixtures ./audio_fixtures
RUN pip install --no-cache-dir .

ENV VOICE_HOST=0.0.0.0 VOICE_PORT=8000 VOICE_DATA_DIR=/app/data
EXPOSE 8000
VOLUME ["/app/data"]
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/health')" || exit 1
CMD ["voice-interview", "serve"]
