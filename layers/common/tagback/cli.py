"""Operator commands: `python -m tagback.cli check [clients/*.yaml]` validates client configs before a deploy."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tagback.config import ConfigError, client_files, load_client_configs


def check(paths: list[Path]) -> int:
    try:
        configs = load_client_configs(paths)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 1
    for config in configs:
        print(f"ok  {config.client_id}: {config.venue_name} ({len(config.prizes)} prizes, {config.timezone})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tagback.cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    checking = commands.add_parser("check", help="validate client configs (default: every clients/*.yaml)")
    checking.add_argument("paths", nargs="*", type=Path)
    arguments = parser.parse_args(argv)
    return check(arguments.paths or client_files(Path("clients")))


if __name__ == "__main__":
    sys.exit(main())
