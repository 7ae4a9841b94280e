"""Production settings refuse unsafe configuration; the deploy check is clean."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from backoffice.env import env_bool, env_int, env_list, env_secret

BASE_DIR = Path(__file__).resolve().parents[2]
STRONG_KEY = "k" * 20 + "x9$Qz!7vLr@2pW#tY5uB^8nM&3cE*6dF"
SAFE_ENV = {
    "DJANGO_SETTINGS_MODULE": "backoffice.settings.production",
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "datamed.example.org",
    "DATABASE_URL": "postgres://user@db.invalid/datamed",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DATABASE_URL",
            "SECRET_KEY_FILE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        )
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_refuses_to_start_without(missing: str) -> None:
    env = {k: v for k, v in SAFE_ENV.items() if k != missing}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


def test_production_deploy_check_reports_nothing() -> None:
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=SAFE_ENV)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_reads_the_secret_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text(STRONG_KEY + "\n", encoding="utf-8")
    env = {k: v for k, v in SAFE_ENV.items() if k != "SECRET_KEY"}
    env["SECRET_KEY_FILE"] = str(secret)
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stderr


def test_env_helpers_fail_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_BOOL", "maybe")
    monkeypatch.setenv("X_INT", "ten")
    monkeypatch.setenv("X_LIST", " a, ,b ")
    monkeypatch.delenv("X_SECRET", raising=False)
    monkeypatch.setenv("X_SECRET_FILE", "/nonexistent/secret")
    with pytest.raises(ImproperlyConfigured):
        env_bool("X_BOOL", False)
    with pytest.raises(ImproperlyConfigured):
        env_int("X_INT", 1)
    with pytest.raises(ImproperlyConfigured):
        env_secret("X_SECRET")
    assert env_list("X_LIST") == ["a", "b"]
    monkeypatch.setenv("X_BOOL", "oui")
    assert env_bool("X_BOOL", False) is True


def test_no_network_at_run_time(settings: object) -> None:
    from django.conf import settings as dj

    assert dj.WAGTAIL_ENABLE_UPDATE_CHECK is False
    assert dj.WAGTAIL_ENABLE_WHATS_NEW_BANNER is False
    assert dj.WAGTAIL_GRAVATAR_PROVIDER_URL is None
    assert dj.LANGUAGE_CODE == "fr"


def test_arrow_allocates_from_the_configured_pool(settings: Any) -> None:
    import pyarrow as pa

    from backoffice.apps import use_arrow_memory_pool

    assert settings.ARROW_MEMORY_POOL == "system"
    assert pa.default_memory_pool().backend_name == "system"
    try:
        settings.ARROW_MEMORY_POOL = "jemalloc"
        use_arrow_memory_pool()
        assert pa.default_memory_pool().backend_name == "jemalloc"
        settings.ARROW_MEMORY_POOL = "tcmalloc"
        with pytest.raises(ImproperlyConfigured, match="tcmalloc"):
            use_arrow_memory_pool()
    finally:
        settings.ARROW_MEMORY_POOL = "system"
        use_arrow_memory_pool()
    assert pa.default_memory_pool().backend_name == "system"


def test_glibc_malloc_is_tuned_unless_switched_off(settings: Any) -> None:
    from backoffice.memory import tune_malloc as _tune_malloc

    assert settings.DATAMED_TUNE_MALLOC is True
    # On glibc (Debian, the target) every parameter is accepted.
    assert _tune_malloc() is (platform.libc_ver()[0] == "glibc")
    settings.DATAMED_TUNE_MALLOC = False
    assert _tune_malloc() is False


#: Run in a fresh interpreter: there the heap's layout is known (a test
#: process's earlier holes would take the small blocks and change it).
_FREED_MEMORY_SCRIPT = """
import json, os
import django
django.setup()
import numpy as np
from backoffice.memory import release_memory, tune_malloc

def rss():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

tune_malloc()
blocks, pins = [], []
for _ in range(300):
    blocks.append(np.ones(1024**2, dtype=np.uint8))  # 1 MB, from the heap
    pins.append(np.ones(4096, dtype=np.uint8))  # keeps the freed space inside
loaded = rss()
del blocks
freed = rss()
trimmed = release_memory()
print(json.dumps({"loaded": loaded, "freed": freed, "released": rss(),
                  "trimmed": trimmed, "pins": len(pins)}))
"""


@pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's (the target)"
)
def test_the_memory_a_job_freed_goes_back_to_the_system() -> None:
    """Blocks freed between blocks still in use are not at the top of the heap:
    only ``release_memory`` hands their pages back."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "backoffice.settings.test"}
    done = subprocess.run(
        [sys.executable, "-c", _FREED_MEMORY_SCRIPT],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["trimmed"] and figures["pins"] == 300
    # The allocator kept the freed megabytes, and release_memory gave them back.
    assert figures["freed"] > figures["loaded"] - 100
    assert figures["released"] < figures["freed"] - 200
