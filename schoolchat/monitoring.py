"""Who is the monitoring system: the one reader of ``/metrics`` and of ``/healthz``'s details.

A client address in ``SCHOOLCHAT_METRICS_NETWORKS`` (CIDRs, loopback by default) or
``Authorization: Bearer <SCHOOLCHAT_METRICS_TOKEN>``. A request that came through a proxy counts
by the address the proxy gives only when the proxy is trusted (``SCHOOLCHAT_TRUSTED_PROXIES``);
otherwise only the token lets it in, so a proxy on the same machine does not make every visitor
"loopback".
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

from accounts.signin import client_ip


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def allowed(request: HttpRequest) -> bool:
    token = settings.SCHOOLCHAT_METRICS_TOKEN
    given = request.META.get("HTTP_AUTHORIZATION", "")
    if token and given.startswith("Bearer ") and constant_time_compare(given[7:].strip(), token):
        return True
    address = client_ip(request)
    if "HTTP_X_FORWARDED_FOR" in request.META and address == request.META.get("REMOTE_ADDR"):
        return False  # forwarded by a proxy that is not trusted: its own address says nothing
    try:
        parsed = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(parsed in net for net in _networks(tuple(settings.SCHOOLCHAT_METRICS_NETWORKS)))
