from __future__ import annotations

import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from server.config import Settings, env_name, flag_name, load_settings
from server.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_are_embedded(tmp_path: Path) -> None:
    s = load_settings(environ={"MOKE_DATA_DIR": str(tmp_path)})
    assert s.effective_database_url == f"sqlite+aiosqlite:///{tmp_path / 'moke.db'}"
    assert s.redis_url == ""
    assert s.host == "127.0.0.1" and s.port == 8080


def test_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    a = load_settings(environ={"MOKE_DATA_DIR": str(tmp_path)})
    b = load_settings(environ={"MOKE_DATA_DIR": str(tmp_path)})
    assert len(a.secret_key) >= 32
    assert a.secret_key == b.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_flag_beats_env_beats_default(tmp_path: Path) -> None:
    env = {"MOKE_PORT": "9000", "MOKE_DATA_DIR": str(tmp_path), "MOKE_LOG_JSON": "yes"}
    assert load_settings(environ=env).port == 9000
    assert load_settings(environ=env).log_json is True
    assert load_settings(environ=env, cli={"port": "9100"}).port == 9100


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"MOKE_DATABASE_URL": "mysql://root@localhost/x"}, "MOKE_DATABASE_URL: unsupported scheme 'mysql'"),
        ({"MOKE_PORT": "eighty"}, "MOKE_PORT: 'eighty' is not a valid int"),
        ({"MOKE_PORT": "70000"}, "MOKE_PORT"),
        ({"MOKE_REDIS_URL": "http://x"}, "MOKE_REDIS_URL"),
        ({"MOKE_LOG_LEVEL": "LOUD"}, "MOKE_LOG_LEVEL"),
        ({"MOKE_ROOMS_DEFAULT_SEATS": "0"}, "MOKE_ROOMS_DEFAULT_SEATS"),
        ({"MOKE_DATABSE_URL": "sqlite+aiosqlite:///x"}, "MOKE_DATABSE_URL: unknown setting"),
    ],
)
def test_bad_values_fail_with_one_line_naming_the_variable(env: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(environ=env, ensure_secret=False)
    assert needle in info.value.message
    assert "\n" not in info.value.message


def test_cli_fails_fast_on_unknown_database_scheme(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "server", "serve", "--database-url", "oracle://x/y", "--data-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "MOKE_DATABASE_URL: unsupported scheme 'oracle'" in lines[0]


def test_serve_help_documents_every_option() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "server", "serve", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0
    for f in fields(Settings):
        assert flag_name(f.name) in proc.stdout, f.name
        assert env_name(f.name) in proc.stdout, f.name


def test_web_dir_of_a_source_checkout_is_found_from_the_package_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    web_dir = load_settings(environ={"MOKE_DATA_DIR": str(tmp_path)}).web_dir
    assert web_dir.is_absolute()
    assert web_dir == ROOT / "web" / "dist"  # an installed wheel has server/web_dist instead (tests/deploy)


def test_configuration_document_lists_every_setting() -> None:
    """docs/configuration.md is the operator's reference: a new setting without its line there fails here."""
    text = (ROOT / "docs" / "configuration.md").read_text()
    missing = [env_name(f.name) for f in fields(Settings) if f"`{env_name(f.name)}`" not in text]
    assert not missing, f"add these settings to docs/configuration.md: {missing}"


def test_metrics_allow_names_a_bad_entry() -> None:
    with pytest.raises(ConfigError, match="MOKE_METRICS_ALLOW: 'intranet'"):
        load_settings(environ={"MOKE_METRICS_ALLOW": "10.0.0.0/8, intranet"}, cli={})
