"""scripts/_bootstrap.sh, which scripts/run and scripts/test source: when it installs the package."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _checkout(tmp: Path) -> Path:
    """A copy of the bootstrap beside a pyproject.toml, and a .venv whose python logs what pip is asked."""
    (tmp / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "_bootstrap.sh", tmp / "scripts")
    (tmp / "pyproject.toml").write_text('[project]\nname = "x"\n')
    python = tmp / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\necho "$*" >> {tmp / "pip.log"}\n')
    python.chmod(0o755)
    return tmp


def _source(checkout: Path, extras: str) -> None:
    env = {**os.environ, "AGGREGATOR_EXTRAS": extras}
    subprocess.run(["bash", "-c", f"source {checkout / 'scripts' / '_bootstrap.sh'}"], env=env, check=True,
                   capture_output=True, timeout=30)


def _installs(checkout: Path) -> list[str]:
    log = checkout / "pip.log"
    lines = log.read_text().splitlines() if log.exists() else []
    return [line.rsplit(" ", 1)[-1] for line in lines if " -e " in line]


def test_switching_between_test_and_run_installs_once(tmp_path: Path) -> None:
    checkout = _checkout(tmp_path)
    _source(checkout, "test")  # scripts/test
    _source(checkout, "")  # scripts/run
    _source(checkout, "test")
    _source(checkout, "")
    assert _installs(checkout) == [f"{checkout}[test]"]


def test_run_first_then_test_installs_the_union_then_nothing(tmp_path: Path) -> None:
    checkout = _checkout(tmp_path)
    _source(checkout, "")
    _source(checkout, "test")
    _source(checkout, "")
    _source(checkout, "test")
    assert _installs(checkout) == [str(checkout), f"{checkout}[test]"]


def test_a_changed_pyproject_reinstalls_with_the_extras_asked_for(tmp_path: Path) -> None:
    checkout = _checkout(tmp_path)
    _source(checkout, "test")
    (checkout / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "2"\n')
    _source(checkout, "")
    _source(checkout, "test")
    assert _installs(checkout) == [f"{checkout}[test]", str(checkout), f"{checkout}[test]"]
