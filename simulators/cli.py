"""`hall simulate <subcommand>`: the simulators' command line (api/cli.py dispatches here).

Each subcommand lives in its own module with `main(argv)`; it is imported only when it runs.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import TextIO

SUBCOMMANDS = {
    "mmc": ("simulators.mmc", "an M/M/c queue through the real server, against Erlang C"),
    "day": ("simulators.day", "a whole day at the default hall through the real server"),
    "oracle": ("simulators.oracle", "the best wait estimate a kept day allows, against the hall's"),
    "devices": ("simulators.devices", "kiosks with printers, keypads and rating pads on the device socket"),
    "history": ("simulators.history", "a year of hall history written straight into a store"),
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] in (["-h"], ["--help"]):  # asked for: the usage on stdout, success
        usage(sys.stdout)
        return 0
    if not argv or argv[0] not in SUBCOMMANDS:
        usage(sys.stderr)
        return 2
    return importlib.import_module(SUBCOMMANDS[argv[0]][0]).main(argv[1:])


def usage(out: TextIO) -> None:
    print("usage: hall simulate {" + ",".join(SUBCOMMANDS) + "} [options]   (hall simulate NAME --help for its options)", file=out)
    for name, (_module, text) in SUBCOMMANDS.items():
        print(f"  {name:<8} {text}", file=out)


if __name__ == "__main__":
    sys.exit(main())
