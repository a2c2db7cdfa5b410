"""Production settings come from the environment alone and pass Django's deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-production-secret-" + "x" * 50,
    "ALLOWED_HOSTS": "leads.example.com",
    "STATIC_MANIFEST": "false",  # collectstatic is a deploy step, not this check's
}


def _run(code: str, extra: dict) -> subprocess.CompletedProcess:
    # Without the suite's own relaxations (pyproject's pytest env: plain HTTP).
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SECURE_SSL_REDIRECT", "SECURE_COOKIES", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(PRODUCTION, **extra)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_check_deploy_is_clean_with_debug_off():
    result = _run(
        "import django, os, sys; os.environ['DJANGO_SETTINGS_MODULE'] = 'leadroute.settings';"
        "django.setup(); from django.core.management import call_command;"
        "call_command('check', deploy=True, fail_level='WARNING')",
        {},
    )
    assert result.returncode == 0, result.stderr + result.stdout


@pytest.mark.parametrize(
    "extra, forwarded, scheme",
    [({}, "https", "http"), ({"BEHIND_TLS_PROXY": "true"}, "https", "https")],
)
def test_behind_a_tls_proxy_links_are_https(extra, forwarded, scheme):
    # The web form's embed snippet is built from the request's absolute URI.
    result = _run(
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'leadroute.settings';"
        "django.setup(); from django.test import RequestFactory;"
        "r = RequestFactory().get('/capture/forms/', HTTP_HOST='leads.example.com',"
        f" HTTP_X_FORWARDED_PROTO='{forwarded}'); print(r.build_absolute_uri('/'))",
        extra,
    )
    assert result.stdout.strip() == f"{scheme}://leads.example.com/", result.stderr
