"""Production static files: the chat page's ES modules import each other by hashed name."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_module_imports_point_at_hashed_files(tmp_path: Path) -> None:
    env = {**os.environ, "SECRET_KEY": secrets.token_urlsafe(60), "ALLOWED_HOSTS": "school.example",
           "STATIC_ROOT": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
                   cwd=ROOT, env=env, check=True)
    [main] = [p for p in (tmp_path / "js" / "chat").glob("main.*.js") if not p.name.endswith(".gz")
              and p.suffixes[-1] == ".js" and p.name.count(".") == 2]
    imports = re.findall(r'from "(\./[^"]+)"', main.read_text())
    assert imports, "the entry module imports the others"
    for name in imports:
        assert re.fullmatch(r"\./\w+\.[0-9a-f]{12}\.js", name), name
        assert (main.parent / name).exists()
