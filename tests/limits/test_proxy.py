"""deploy/nginx.conf is a valid nginx configuration whose body limit is the app's largest."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse

from schoolchat import limits
from tests.conftest import IN_CI

CONF = Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf"


def test_nginx_accepts_the_configuration(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None)
    if nginx is None or shutil.which("openssl") is None:
        message = "nginx or openssl is not installed (apt-get install nginx)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=school.example",
         "-days", "1", "-keyout", str(tmp_path / "privkey.pem"),
         "-out", str(tmp_path / "fullchain.pem")], check=True, capture_output=True, timeout=60)
    conf = tmp_path / "nginx.conf"
    conf.write_text(CONF.read_text().replace("/etc/nginx/certs", str(tmp_path)))
    result = subprocess.run([nginx, "-t", "-c", str(conf)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr


def test_the_proxy_body_limit_is_the_apps_largest_allowance() -> None:
    size = re.search(r"^\s*client_max_body_size (\d+)k;", CONF.read_text(), re.M)
    assert size, "client_max_body_size in KiB"
    assert int(size.group(1)) * 1024 == limits.body_allowance(reverse("messaging:upload", args=[1]))


def test_websockets_are_upgraded_and_not_buffered() -> None:
    text = CONF.read_text()
    ws = text[text.index("location /ws/"):]
    assert "proxy_set_header Upgrade $http_upgrade;" in text
    assert "proxy_set_header Connection $connection_upgrade;" in text
    assert "proxy_buffering off;" in ws[: ws.index("}")]
    assert "proxy_set_header X-Forwarded-Proto https;" in text
