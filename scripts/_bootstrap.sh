# Sourced by scripts/run and scripts/test: make sure .venv exists with the project installed.
# Reinstalls when pyproject.toml changed since the last install, or an extra is asked for that is not installed.
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

# The stamp records the pyproject.toml it installed and every extra installed with it: scripts/test needs
# `test`, scripts/run none, and switching between them must not reinstall the package each time. A request
# for an extra not yet installed installs the union, so the next switch back finds everything in place.
hash="$(sha256sum < "$ROOT/pyproject.toml" | cut -c1-16)"
installed_hash="" installed_extras=""
if [ -f "$VENV/.aggregator-installed" ]; then read -r installed_hash installed_extras < "$VENV/.aggregator-installed" || true; fi
[ "$installed_hash" = "$hash" ] || installed_extras=""
union="$(printf '%s\n' ${installed_extras//,/ } ${EXTRAS//,/ } | sort -u | paste -sd, -)"
if [ ! -x "$VENV/bin/python" ]; then
    python="$(find_python)"
    echo "Creating virtual environment in $VENV with $python" >&2
    "$python" -m venv "$VENV"
    installed_hash=""
fi
if [ "$installed_hash" != "$hash" ] || [ "$union" != "$installed_extras" ]; then
    echo "Installing aggregator${union:+[$union]} and its dependencies into $VENV" >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT${union:+[$union]}" >&2
    echo "$hash $union" > "$VENV/.aggregator-installed"
fi
