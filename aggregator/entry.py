"""The `aggregator` console script's entry point, apart from the CLI.

Every worker process of the pool runs the program's main script again (multiprocessing imports it as
`__mp_main__` in each child it starts); the script imports this module, and with `aggregator.cli` there that
was click, pydantic and ruamel in every worker, 8 MiB and 0.1 s each. The CLI is imported when main() runs.
"""

from __future__ import annotations


def main() -> None:
    from aggregator.cli import main as cli

    cli()
