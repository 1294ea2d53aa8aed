"""The suite on several workers (pytest-xdist, ``make pytest``): what goes first, and what stays together.

``make pytest`` runs ``pytest -n N --dist loadfile``, and ``tests/conftest.py`` hands pytest-xdist the
:class:`ModuleScheduling` below for it. The unit of work is a test module: its tests run on one worker, in
their order, as they do in one process, so a module- or class-scoped fixture is set up once. A folder whose
``conftest.py`` has a package-scoped fixture (``tests/field/``: one reproduced school network) is one unit as
a whole. A worker that is nearly idle gets the next unit in collection order, and :func:`slowest_first`
puts the modules that took longest at the front: the workers start on them together, and the quick unit
tests fill the end (a slow module handed out last keeps one worker busy while the others idle).

(Not ``--dist loadgroup``: with pytest 9.2 its ``xdist_group`` marks are silently ignored, pytest-xdist
issue 1386.)

Everything else a test shares must be its own per test already, and is: Redis keys under
:func:`tests.support.services.unique_prefix`, a PostgreSQL database per test
(:func:`tests.support.services.fresh_pg_database`), free ports, ``tmp_path`` (per worker under xdist),
network namespaces named after the worker's pid (:mod:`tests.support.netns`), private Redis and PostgreSQL
servers on ports of their own for the fault tests (:mod:`tests.support.private_services`). Session-scoped
fixtures (the web tests' ``moke serve`` and Chromium) are per worker.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

# Heaviest first, by the sum of their tests' durations in a whole run; a module takes the rank of its first
# entry that matches (a file, or a folder ending in "/" for the modules of it not named before). Unlisted
# modules keep their collection order after all of these. Re-measure with
# `make pytest PYTEST_ARGS=--durations=0` and add the module names up by hand.
SLOW_FIRST: Sequence[str] = ()

PACKAGE_SCOPE = re.compile(r"""scope\s*=\s*["']package["']""")


def _module(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def _rank(nodeid: str, order: Sequence[str]) -> int:
    path = _module(nodeid)
    for i, entry in enumerate(order):
        if path == entry or (entry.endswith("/") and path.startswith(entry)):
            return i
    return len(order)


def slowest_first(items: Sequence[pytest.Item], order: Sequence[str] = SLOW_FIRST) -> list[pytest.Item]:
    """The items with the modules of ``order`` first, in its order; a stable sort, so the tests of one
    module (and the modules of one folder) keep their order relative to each other."""
    return sorted(items, key=lambda item: _rank(item.nodeid, order))


@functools.cache
def _package_unit(root: Path, folder: str) -> str | None:
    """The outermost folder from ``root`` down to ``folder`` whose conftest.py has a package-scoped fixture."""
    parts = [p for p in folder.split("/") if p]
    for depth in range(1, len(parts) + 1):
        conftest = root.joinpath(*parts[:depth], "conftest.py")
        if conftest.is_file() and PACKAGE_SCOPE.search(conftest.read_text(encoding="utf-8")):
            return "/".join(parts[:depth]) + "/"
    return None


def work_unit(root: Path, nodeid: str) -> str:
    """What runs together on one worker: the test's module, or the folder with a package-scoped fixture."""
    module = _module(nodeid)
    return _package_unit(root, module.rpartition("/")[0]) or module


class ModuleScheduling(LoadScopeScheduling):
    """pytest-xdist's ``loadfile`` with :func:`work_unit` for the unit."""

    def __init__(self, config: pytest.Config, log: Any = None) -> None:
        super().__init__(config, log)
        self.root = config.rootpath

    def _split_scope(self, nodeid: str) -> str:
        return work_unit(self.root, nodeid)
