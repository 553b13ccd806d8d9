"""The local push service the tests send to; it lives in bench/ so that ``make bench`` sends
to the same one (RFC 8030 endpoint, VAPID check, RFC 8291 decryption)."""

from bench.push_service import FakeDevice, PushService, Received

__all__ = ["FakeDevice", "PushService", "Received"]
