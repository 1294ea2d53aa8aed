"""HTTPS settings fail fast: both files or neither, readable, and really a certificate and its key."""

from __future__ import annotations

import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from server.config import load_settings
from server.errors import ConfigError
from server.tls import server_ssl_context
from tests.support.tls import TestCA

ROOT = Path(__file__).resolve().parents[2]


def test_no_certificate_means_plain_http(tmp_path: Path) -> None:
    s = load_settings(environ={"MOKE_DATA_DIR": str(tmp_path)})
    assert server_ssl_context(s) is None
    assert s.base_url == "http://127.0.0.1:8080"


def test_certificate_and_key_make_a_context(tmp_path: Path) -> None:
    issued = TestCA(tmp_path / "ca").issue("moke.test")
    env = {"MOKE_DATA_DIR": str(tmp_path), "MOKE_TLS_CERT": str(issued.cert), "MOKE_TLS_KEY": str(issued.key)}
    s = load_settings(environ=env)
    context = server_ssl_context(s)
    assert isinstance(context, ssl.SSLContext) and context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert s.base_url == "https://127.0.0.1:8080"


@pytest.mark.parametrize(
    ("which", "needle"),
    [
        ("cert_only", "MOKE_TLS_KEY: HTTPS needs both MOKE_TLS_CERT and MOKE_TLS_KEY"),
        ("key_only", "MOKE_TLS_CERT: HTTPS needs both"),
        ("missing_key", "MOKE_TLS_KEY: cannot read"),
    ],
)
def test_half_or_unreadable_settings_fail_naming_the_variable(
    tmp_path: Path, which: str, needle: str
) -> None:
    issued = TestCA(tmp_path / "ca").issue("moke.test")
    env = {
        "cert_only": {"MOKE_TLS_CERT": str(issued.cert)},
        "key_only": {"MOKE_TLS_KEY": str(issued.key)},
        "missing_key": {"MOKE_TLS_CERT": str(issued.cert), "MOKE_TLS_KEY": str(tmp_path / "nope.key")},
    }[which]
    with pytest.raises(ConfigError) as info:
        load_settings(environ=env, ensure_secret=False)
    assert needle in info.value.message


def test_key_of_another_certificate_is_refused(tmp_path: Path) -> None:
    ca = TestCA(tmp_path / "ca")
    a, b = ca.issue("a.test", stem="a"), ca.issue("b.test", stem="b")
    s = load_settings(environ={"MOKE_TLS_CERT": str(a.cert), "MOKE_TLS_KEY": str(b.key)}, ensure_secret=False)
    with pytest.raises(ConfigError, match="are not a PEM certificate chain and its private key"):
        server_ssl_context(s)


def test_serve_exits_with_a_clear_error_on_a_bad_certificate(tmp_path: Path) -> None:
    bogus = tmp_path / "cert.pem"
    bogus.write_text("not a certificate")
    proc = subprocess.run(
        [sys.executable, "-m", "server", "serve", "--data-dir", str(tmp_path), "--port", "0",
         "--tls-cert", str(bogus), "--tls-key", str(bogus)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "MOKE_TLS_CERT/MOKE_TLS_KEY" in proc.stderr and "Traceback" not in proc.stderr
