"""The baseline: lemon24's reader 3.x in a virtual environment of its own, never in the project's dependencies."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import venv
from pathlib import Path

READER_SPEC = "reader>=3,<4"
# reader's vendored feedparser imports `sgmllib`; the registry's feedparser pulls `feedparser-sgmllib`, whose
# module has another name, so sgmllib3k is installed beside reader.
EXTRA_SPECS = ("sgmllib3k",)
RUNNER = Path(__file__).with_name("reader_runner.py")


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("AGGREGATOR_BENCH_CACHE", Path(base) / "aggregator-bench"))


def ensure_reader_venv(path: Path | None = None) -> Path:
    """Python of a venv holding reader 3.x (created on first use, reused afterwards)."""
    path = path or cache_dir() / "reader-venv"
    python = path / "bin" / "python"
    probe = "import reader, sgmllib, sys; sys.exit(0 if reader.__version__.startswith('3.') else 1)"
    check = [str(python), "-c", probe]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    print(f"bench: creating the baseline venv with {READER_SPEC} in {path}", flush=True)
    venv.EnvBuilder(with_pip=True, clear=True).create(path)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", READER_SPEC,
                    *EXTRA_SPECS],
                   check=True)
    return python


class PhaseError(RuntimeError):
    """A measured run failed or overran its time limit; the phase is reported as failed, the others go on."""


def _start(command: list[str]) -> subprocess.Popen[str]:
    # Own process group, so a timeout also ends the run's children (extraction workers, forkserver).
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _finish(process: subprocess.Popen[str], what: str, timeout: float) -> dict:
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise PhaseError(f"{what} did not finish within {timeout:g} s (killed)") from None
    if process.returncode != 0:
        raise PhaseError(f"{what} failed (exit {process.returncode}): {err.strip()[-2000:]}")
    return json.loads(out.strip().splitlines()[-1])


def _run(command: list[str], what: str, timeout: float) -> dict:
    return _finish(_start(command), what, timeout)


SEARCH_RUNNER = Path(__file__).with_name("reader_search.py")


def start_reader_search_fill(python: Path, db: Path, feeds_dir: Path) -> subprocess.Popen[str]:
    """reader's database for the search comparison, filled in the background (untimed set-up)."""
    return _start([str(python), str(SEARCH_RUNNER), "fill", str(db), str(feeds_dir)])


def finish_reader_search_fill(process: subprocess.Popen[str], timeout: float = 3600) -> dict:
    return _finish(process, "reader search fill", timeout)


def run_reader_search(python: Path, db: Path, queries_file: Path, timeout: float = 900) -> dict:
    return _run([str(python), str(SEARCH_RUNNER), "measure", str(db), str(queries_file)], "reader search", timeout)


def run_reader(python: Path, db: Path, urls_file: Path, mode: str, workers: int, timeout: float = 900) -> dict:
    return _run([str(python), str(RUNNER), str(db), str(urls_file), mode, str(workers)], f"reader {mode}", timeout)


def run_aggregator(config: Path, db: Path, profile: Path | None = None, timeout: float = 900) -> dict:
    runner = Path(__file__).with_name("agg_runner.py")
    command = [sys.executable, str(runner), str(config), str(db)]
    if profile is not None:
        command += ["--profile", str(profile)]
    return _run(command, "aggregator poll", timeout)
