"""How the suite is spread over pytest-xdist workers: slowest modules first, shared fixtures set up once.

The last test runs a small suite of its own on two real workers, as `make pytest` does."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from tests.support.server import ROOT
from tests.support.workers import slowest_first, work_unit


@dataclass
class Item:
    nodeid: str


def ids(items: list[Any]) -> list[str]:
    return [i.nodeid for i in items]


def test_listed_modules_go_first_in_the_listed_order_and_the_rest_keep_theirs() -> None:
    items = [Item(n) for n in [
        "tests/a/test_x.py::t1", "tests/b/test_y.py::t1", "tests/web/test_p.py::t1", "tests/web/test_q.py::t1",
        "tests/web/test_q.py::t2", "tests/b/test_y.py::t2", "tests/field/test_s.py::t[x]", "tests/z.py::t",
    ]]  # fmt: skip
    order = ["tests/web/test_q.py", "tests/field/", "tests/web/"]
    assert ids(slowest_first(cast(Any, items), order)) == [
        "tests/web/test_q.py::t1", "tests/web/test_q.py::t2",  # named: first, in their own order
        "tests/field/test_s.py::t[x]",  # a folder's modules
        "tests/web/test_p.py::t1",  # the folder's modules not named before
        "tests/a/test_x.py::t1", "tests/b/test_y.py::t1", "tests/b/test_y.py::t2", "tests/z.py::t",  # as collected
    ]  # fmt: skip
    # a folder entry needs its slash: tests/web/ is not tests/webhooks/
    assert ids(
        slowest_first(cast(Any, [Item("tests/webhooks.py::t"), Item("tests/web/a.py::t")]), ["tests/web/"])
    ) == [
        "tests/web/a.py::t",
        "tests/webhooks.py::t",
    ]


def test_a_module_is_a_unit_and_a_folder_with_a_package_fixture_is_one() -> None:
    assert work_unit(ROOT, "tests/web/test_auth.py::test_login[zh]") == "tests/web/test_auth.py"
    assert work_unit(ROOT, "tests/field/test_school_aiortc.py::test_x") == "tests/field/"
    assert work_unit(ROOT, "tests/test_docs.py::test_x") == "tests/test_docs.py"


SUITE = {
    "conftest.py": """
import pytest
from tests.support.workers import ModuleScheduling, slowest_first

def pytest_collection_modifyitems(items):
    items[:] = slowest_first(items, ["pkg/"])

@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    return ModuleScheduling(config, log)
""",
    "pkg/__init__.py": "",
    "pkg/conftest.py": """
import os, pytest

@pytest.fixture(scope="package")
def network():
    with open(os.environ["SETUP_LOG"], "a") as log:
        log.write("package\\n")
    return "net"
""",
    "pkg/test_a.py": "def test_a1(network): pass\ndef test_a2(network): pass\ndef test_a3(network): pass\n",
    "pkg/test_b.py": "def test_b1(network): pass\ndef test_b2(network): pass\n",
    "test_module.py": """
import os, pytest

@pytest.fixture(scope="module")
def wheel():
    with open(os.environ["SETUP_LOG"], "a") as log:
        log.write("module\\n")

@pytest.mark.parametrize("n", range(6))
def test_uses_it(wheel, n): pass
""",
    "test_plain.py": """
import os, pytest

@pytest.mark.parametrize("n", range(8))
def test_alone(n):
    with open(os.environ["SETUP_LOG"], "a") as log:
        log.write("plain\\n")
""",
}


def test_two_workers_set_each_shared_fixture_up_once(tmp_path: Path) -> None:
    project = tmp_path / "project"
    for name, text in SUITE.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    log = tmp_path / "setups.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SETUP_LOG": str(log)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", "--dist", "loadfile",
         "--no-loadscope-reorder", "--rootdir", str(project), "-c", os.devnull, str(project)],
        cwd=project, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "19 passed" in done.stdout, done.stdout
    # the package's two modules ran on one worker, and the module's tests too: each fixture was set up once
    # (with loadfile's own units, the two modules handed out first would have gone one to each worker)
    assert Counter(log.read_text().split()) == {"plain": 8, "package": 1, "module": 1}
