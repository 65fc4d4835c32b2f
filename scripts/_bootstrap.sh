# Sourced by scripts/run and scripts/test: make sure .venv exists with the project installed.
# Reinstalls when pyproject.toml changed since the last install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
EXTRAS="${AGGREGATOR_EXTRAS:-}"

find_python() {
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    echo "error: Python 3.11 or newer is needed (none found on PATH)" >&2
    return 1
}

stamp="$(cat "$ROOT/pyproject.toml" | sha256sum | cut -c1-16)-${EXTRAS}"
if [ ! -x "$VENV/bin/python" ]; then
    python="$(find_python)"
    echo "Creating virtual environment in $VENV with $python" >&2
    "$python" -m venv "$VENV"
fi
if [ "$(cat "$VENV/.aggregator-installed" 2>/dev/null)" != "$stamp" ]; then
    echo "Installing aggregator${EXTRAS:+[$EXTRAS]} and its dependencies into $VENV" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT${EXTRAS:+[$EXTRAS]}" >&2
    echo "$stamp" > "$VENV/.aggregator-installed"
fi
