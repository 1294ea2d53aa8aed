"""Python code run in a fresh interpreter (what a start-up imports, without this test process's modules)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from tests.support.server import ROOT


def fresh_python(script: str) -> Any:
    """Run ``script`` in a new interpreter on this checkout (no ``MOKE_`` settings from the environment);
    returns the JSON its last line of output prints."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOKE_")} | {"PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout.splitlines()[-1])
