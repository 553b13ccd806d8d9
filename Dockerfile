# Schoolchat production image: the same Makefile targets as outside Docker.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends make gettext postgresql-client \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml constraints.txt Makefile README.md ./
RUN make install PYTHON=python3.11
COPY . .
# A throwaway key, strong enough for production settings to start; the image keeps none.
RUN SECRET_KEY=$(python3 -c "import secrets; print(secrets.token_urlsafe(50))") ALLOWED_HOSTS=build .venv/bin/python manage.py collectstatic --noinput -v 0 \
    && useradd --system --home /app schoolchat && mkdir -p /app/var && chown -R schoolchat /app/var
USER schoolchat
EXPOSE 8000
CMD ["make", "web"]
