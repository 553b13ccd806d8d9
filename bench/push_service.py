"""A push service on 127.0.0.1 that speaks enough RFC 8030 to test and measure Schoolchat's
sender (tests/notifications and ``make bench``'s push phase).

For each request it checks the VAPID authorisation (RFC 8292: ``vapid t=<jwt>, k=<key>``, an
ES256 signature by that key, ``aud`` this origin, ``exp`` in the future and at most 24 hours
away, a ``sub``), decrypts the body (RFC 8291, aes128gcm) with the fake device's private key
and auth secret, and records what arrived. It can be told to answer a device with other
statuses (410, 429, 500, or a redirect to a given ``Location``) for its next requests.

In-process (the tests): ``PushService().start()``, then ``new_device()`` per browser. As its own
process (the bench, so that its work does not share the sender's interpreter)::

    python bench/push_service.py --port P --devices N --subscriptions FILE

makes N devices, writes their subscriptions (``PushSubscription.toJSON()``) to FILE as a JSON
list, and serves; ``GET /stats`` answers ``{"accepted": n, "last_accepted_at": unix time,
"refused": [...]}`` and ``POST /reset`` forgets what arrived.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class FakeDevice:
    """What a browser holds for one subscription: the private key and the auth secret."""

    token: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes

    @property
    def p256dh(self) -> str:
        return b64(self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))

    def subscription(self) -> dict[str, Any]:
        """As ``PushSubscription.toJSON()`` gives it."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": b64(self.auth)}}


@dataclass
class Received:
    token: str
    headers: dict[str, str]
    payload: dict[str, Any]
    claims: dict[str, Any]
    vapid_key: str


@dataclass
class PushService:
    devices: dict[str, FakeDevice] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # why requests were refused (401/400)
    scripted: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    connections: set[tuple[str, int]] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None
    accepted: int = 0
    last_accepted_at: float = 0.0
    keep: bool = True  # False: count what arrives without keeping it (the bench)

    @property
    def origin(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def new_device(self) -> FakeDevice:
        token = secrets.token_urlsafe(16)
        device = FakeDevice(token, f"{self.origin}/push/{token}",
                            ec.generate_private_key(ec.SECP256R1()), os.urandom(16))
        self.devices[token] = device
        return device

    def answer(self, device: FakeDevice, *statuses: int, location: str = "") -> None:
        """The next requests for this device get these statuses (with ``Location`` when
        given: a redirect), then 201 again."""
        self.scripted.setdefault(device.token, []).extend((s, location) for s in statuses)

    def for_device(self, device: FakeDevice) -> list[Received]:
        return [r for r in self.received if r.token == device.token]

    # --- checks -------------------------------------------------------------------------
    def check_vapid(self, header: str) -> tuple[dict[str, Any], str]:
        scheme, _, params = header.partition(" ")
        if scheme.lower() != "vapid":
            raise ValueError(f"scheme {scheme!r}")
        parts = dict(p.strip().split("=", 1) for p in params.split(","))
        token, key = parts["t"], parts["k"]
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(key))
        signing_input, _, signature = token.rpartition(".")
        head_b64, _, claims_b64 = signing_input.partition(".")
        head = json.loads(unb64(head_b64))
        if head.get("alg") != "ES256":
            raise ValueError(f"alg {head.get('alg')!r}")
        raw = unb64(signature)
        if len(raw) != 64:
            raise ValueError("signature is not r||s")
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        try:
            public.verify(der, signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature as exc:
            raise ValueError("bad signature") from exc
        claims = json.loads(unb64(claims_b64))
        now = time.time()
        if claims.get("aud") != self.origin:
            raise ValueError(f"aud {claims.get('aud')!r}")
        if not now < claims.get("exp", 0) <= now + 86400:
            raise ValueError(f"exp {claims.get('exp')!r}")
        if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            raise ValueError("no sub")
        return claims, key

    def handle(self, handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str]]:
        with self.lock:
            self.connections.add(handler.client_address)
        prefix, _, token = handler.path.rpartition("/")
        device = self.devices.get(token)
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        if prefix != "/push" or device is None:
            return 404, {}
        try:
            claims, key = self.check_vapid(handler.headers.get("Authorization", ""))
        except (ValueError, KeyError) as exc:
            self.refused.append(f"vapid: {exc}")
            return 401, {}
        if handler.headers.get("Content-Encoding") != "aes128gcm":
            self.refused.append("content encoding")
            return 415, {}
        with self.lock:
            queue = self.scripted.get(token)
            if queue:
                status, location = queue.pop(0)
                if location:
                    return status, {"Location": location}
                return status, {"Retry-After": "0"} if status == 429 else {}
        try:
            plain = http_ece.decrypt(body, private_key=device.private_key,
                                     auth_secret=device.auth, version="aes128gcm")
        except Exception as exc:
            self.refused.append(f"decrypt: {exc}")
            return 400, {}
        headers = {k.lower(): v for k, v in handler.headers.items()}
        payload = json.loads(plain)
        with self.lock:
            if self.keep:
                self.received.append(Received(token, headers, payload, claims, key))
            self.accepted += 1
            self.last_accepted_at = time.time()
        return 201, {"Location": f"{self.origin}/message/{secrets.token_urlsafe(8)}"}

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {"accepted": self.accepted, "last_accepted_at": self.last_accepted_at,
                    "refused": list(self.refused)}

    def reset(self) -> None:
        with self.lock:
            self.received.clear()
            self.refused.clear()
            self.accepted, self.last_accepted_at = 0, 0.0

    def start(self, port: int = 0) -> PushService:
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: the sender may reuse connections

            def do_POST(self) -> None:
                if self.path == "/reset":
                    self.rfile.read(int(self.headers.get("Content-Length") or 0))
                    service.reset()
                    status, headers = 204, dict[str, str]()
                else:
                    status, headers = service.handle(self)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:
                body = json.dumps(service.stats()).encode() if self.path == "/stats" else b""
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--devices", type=int, required=True)
    parser.add_argument("--subscriptions", required=True)
    args = parser.parse_args(argv)
    service = PushService(keep=False).start(args.port)
    subscriptions = [service.new_device().subscription() for _ in range(args.devices)]
    with open(args.subscriptions + ".part", "w") as out:
        json.dump(subscriptions, out)
    os.replace(args.subscriptions + ".part", args.subscriptions)
    assert service.server is not None
    threading.Event().wait()  # serve until killed


if __name__ == "__main__":
    main(sys.argv[1:])
