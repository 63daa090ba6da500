FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY banques ./banques
COPY routing ./routing
COPY labels ./labels
COPY alembic ./alembic
RUN pip install --no-cache-dir -e . && useradd --system banques && chown -R banques /app
USER banques
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health')"
CMD ["banques", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
