# Schoolchat production image: the same Makefile targets as outside Docker.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends make gettext \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml constraints.txt Makefile README.md ./
RUN make install PYTHON=python3.11
COPY . .
RUN SECRET_KEY=collectstatic-only ALLOWED_HOSTS=build .venv/bin/python manage.py collectstatic --noinput -v 0 \
    && useradd --system --home /app schoolchat && mkdir -p /app/var && chown -R schoolchat /app/var
USER schoolchat
EXPOSE 8000
CMD ["make", "web"]
