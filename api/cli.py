"""The `hall` command line: serve a hall, check a hall file, hash a password; simulate and bench.

`hall simulate …` and `hall bench …` live in the `simulators` package; they are imported only
when those subcommands run, so the server itself never loads simulator code.
"""

from __future__ import annotations

import argparse
import getpass
import importlib
import logging
import sys
from collections.abc import Sequence

import trio

from hall.config import ConfigError, load_hall
from hall.credentials import hash_password

from .server import DemoCredentialsRefused, ServeOptions, run_hall, wait_for_signal


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extras = {"simulate": "simulators.cli", "bench": "simulators.bench"}
    if argv[:1] and argv[0] in extras:  # argparse's REMAINDER drops leading options (`bench --json`)
        return importlib.import_module(extras[argv[0]]).main(argv[1:])
    parser = argparse.ArgumentParser(prog="hall", description="The hall server: queue ticketing and hall orchestration.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve a hall (the default Quảng Nam hall on embedded SQLite)")
    serve.add_argument("--config", help="hall file (TOML); default: the shipped Quảng Nam hall")
    serve.add_argument("--db", help="store URL: sqlite:///path.db (default ./var/hall.db) or postgresql+psycopg://user@host/db")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)

    check = sub.add_parser("check-config", help="validate a hall file and summarise it")
    check.add_argument("config", nargs="?")

    sub.add_parser("hash-password", help="hash a password for the hall file")

    for name, module in (("simulate", "simulators.cli"), ("bench", "simulators.bench")):
        extra = sub.add_parser(name, help=f"{name} (see docs/)", add_help=False)
        extra.add_argument("rest", nargs=argparse.REMAINDER)
        extra.set_defaults(module=module)

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if args.command == "serve":
        return _serve(ServeOptions(args.config, args.db, args.host, args.port))
    if args.command == "check-config":
        return _check(args.config)
    if args.command == "hash-password":
        print(hash_password(getpass.getpass("password: ")))
        return 0
    return importlib.import_module(args.module).main(args.rest)


def _serve(options: ServeOptions) -> int:
    try:
        trio.run(lambda: run_hall(options, shutdown_trigger=wait_for_signal))
    except (ConfigError, DemoCredentialsRefused) as exc:
        print(f"hall: {exc}", file=sys.stderr)
        return 2
    return 0


def _check(path: str | None) -> int:
    try:
        hall = load_hall(path)
    except ConfigError as exc:
        print(f"hall: {exc}", file=sys.stderr)
        return 2
    print(f"{hall.name}: {len(hall.departments)} departments, {len(hall.services)} services, "
          f"{len(hall.cabins)} cabins, {len(hall.users)} users, {len(hall.devices)} devices")
    return 0


if __name__ == "__main__":
    sys.exit(main())
