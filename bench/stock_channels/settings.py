"""Settings of the stock Channels server: no database, no auth, channels_redis defaults."""

import os

SECRET_KEY = "bench-stock-channels-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["daphne", "channels"]
ASGI_APPLICATION = "bench.stock_channels.asgi.application"
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")],
            # Its own key prefix, so the bench never meets another user of the same Redis.
            "prefix": os.environ.get("BENCH_CHANNELS_PREFIX", "asgi"),
        },
    },
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
