"""Production settings: secrets are required, and `check --deploy` has nothing to say."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "returns_portal.settings.production",
    "SECRET_KEY": "k3y-" + "x7Qp9LmZ2vR8sT4wY6uB1nC5dF0gH3jK" * 2,
    "TRACKING_WEBHOOK_SECRET": "whsec-production-test",
    "ALLOWED_HOSTS": "returns.example.com",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE", *PRODUCTION_ENV}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_passes_the_deploy_check_with_no_warnings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "TRACKING_WEBHOOK_SECRET", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_its_secrets(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert missing in result.stderr


def test_production_refuses_debug():
    result = _manage("check", env={**PRODUCTION_ENV, "DEBUG": "true"})
    assert result.returncode != 0
    assert "DEBUG" in result.stderr


def test_development_defaults_need_no_configuration():
    env = {"DJANGO_SETTINGS_MODULE": "returns_portal.settings.base"}
    result = _manage("check", env=env)
    assert result.returncode == 0, result.stderr


def test_production_collects_static_files_with_a_manifest(tmp_path):
    # the manifest storage fails on any missing reference (e.g. a source map); production's
    # whitenoise storage is the same manifest plus compression, which is slow and adds no check
    env = {
        **PRODUCTION_ENV,
        "STATIC_ROOT": str(tmp_path),
        "STATIC_STORAGE_BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage",
    }
    result = _manage("collectstatic", "--noinput", "-v0", env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "staticfiles.json").exists()
    assert list((tmp_path / "vendor").glob("chart.umd.min.*.js"))
