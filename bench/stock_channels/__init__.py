"""What a Channels tutorial builds: one consumer, ``group_send`` over channels_redis.

Run under daphne with ``DJANGO_SETTINGS_MODULE=bench.stock_channels.settings``.
"""
