"""The files operators and contributors look for: the licence, the Python lock, typing markers, pre-commit.

The lock checks are what keep ``make install`` honest: it installs ``requirements/*.txt`` with
``--require-hashes`` and then Moke with ``--no-deps``, so a dependency added to pyproject.toml without
``make lock`` would simply be missing on a fresh machine.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PACKAGES = ("server", "rooms", "collab", "media", "venues", "evaluation", "studios")
LOCKS = {"run": ROOT / "requirements" / "run.txt", "test": ROOT / "requirements" / "test.txt"}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def locked(path: Path) -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) for every pin in a pip requirements file."""
    out: dict[str, tuple[str, int]] = {}
    name = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if m := PIN.match(line):
            name = canonicalize_name(m.group(1))
            out[name] = (m.group(2), 0)
        elif line.strip().startswith("--hash=sha256:") and name:
            version, hashes = out[name]
            out[name] = (version, hashes + 1)
    return out


def test_the_licence_is_the_apache_2_text_pyproject_declares() -> None:
    assert PYPROJECT["project"]["license"] == {"text": "Apache-2.0"}
    assert "License :: OSI Approved :: Apache Software License" in PYPROJECT["project"]["classifiers"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text and len(text.splitlines()) > 150  # the whole text


def test_every_package_is_marked_typed_and_ships_the_marker() -> None:
    missing = [p for p in PACKAGES if not (ROOT / p / "py.typed").is_file()]
    assert not missing, f"add py.typed to {missing}"
    assert "py.typed" in PYPROJECT["tool"]["setuptools"]["package-data"]["*"]
    assert "Typing :: Typed" in PYPROJECT["project"]["classifiers"]


def test_the_changelog_keeps_an_unreleased_section() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.startswith("# Changelog") and "\n## [Unreleased]\n" in text


def test_every_dependency_is_locked_with_hashes_at_a_version_it_accepts() -> None:
    project = PYPROJECT["project"]
    wanted = {
        "run": [Requirement(r) for r in project["dependencies"]],
        "test": [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]],
    }
    for kind, path in LOCKS.items():
        pins = locked(path)
        assert pins, f"{path} pins nothing"
        unhashed = sorted(n for n, (_, hashes) in pins.items() if hashes == 0)
        assert not unhashed, f"{path.name}: pins without hashes (run `make lock`): {unhashed}"
        for req in wanted[kind]:
            name = canonicalize_name(req.name)
            assert name in pins, f"{req.name} is in pyproject.toml but not in {path.name}: run `make lock`"
            assert req.specifier.contains(pins[name][0], prereleases=True), (
                f"{path.name} pins {req.name}=={pins[name][0]}, outside pyproject's {req.specifier}: run `make lock`"
            )


def test_the_test_lock_agrees_with_the_run_lock() -> None:
    run, test = locked(LOCKS["run"]), locked(LOCKS["test"])
    differ = {n: (v, test.get(n, ("missing",))[0]) for n, (v, _) in run.items() if test.get(n, ("",))[0] != v}
    assert not differ, f"run.txt and test.txt disagree (run `make lock`): {differ}"


def test_make_installs_the_lock_with_hashes_and_the_readme_says_how_to_regenerate_it() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "--require-hashes -r $(LOCK_RUN)" in makefile and "--require-hashes -r $(LOCK_TEST)" in makefile
    assert "--no-deps -e ." in makefile and "npm install" not in makefile
    for path in LOCKS.values():
        assert path.read_text(encoding="utf-8").splitlines()[1].strip() == "#    make lock"
    assert "make lock" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_pre_commit_config_runs_ruff_mypy_and_eslint_with_the_projects_tools() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = {h["id"]: h for repo in config["repos"] for h in repo["hooks"]}
    assert {"ruff", "ruff-format", "mypy", "eslint"} <= set(hooks)
    for hook in hooks.values():
        assert {"id", "name", "entry", "language"} <= set(hook) and hook["language"] == "system", hook
    for hook_id, tool in (("ruff", "ruff check"), ("ruff-format", "ruff format"), ("mypy", "mypy")):
        executable, *args = hooks[hook_id]["entry"].split()
        assert (ROOT / executable).exists(), f"{hook_id}: {executable} is not there"
        assert " ".join([Path(executable).name, *args]).startswith(tool)
    assert "eslint" in hooks["eslint"]["entry"] and hooks["eslint"]["files"] == "^web/"
