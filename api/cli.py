"""The `hall` command line: make, serve, check, back up and restore a hall; simulate and bench.

`hall simulate …` and `hall bench …` live in the `simulators` package; they are imported only
when those subcommands run, so the server itself never loads simulator code.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import importlib
import sys
import time
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import trio

from hall.backup import BackupError, backup, restore
from hall.components import build_engine
from hall.config import ConfigError, HallConfig
from hall.journal import Journal
from hall.retention import run_retention
from hall.snapshots import saved_states, snapshot_now
from hall.stats.rebuild import boundary_day, rebuild_stats
from hall.upgrades import StoreTooNew
from hall.credentials import hash_password

from .hall_dir import HallDir
from .hall_file import load_checked_hall, load_checked_province
from .logs import FORMATS, LEVELS, configure_logging
from .ownership import LEASE_SECONDS
from .provisioning import ProvisioningError, init_hall, replace_password, replace_token
from .server import DemoCredentialsRefused, ServeOptions, ServeRefused, run_hall, wait_for_signal

EXTRAS = {"simulate": "simulators.cli", "bench": "simulators.bench"}
FAILURES = (ConfigError, DemoCredentialsRefused, ServeRefused, ProvisioningError, BackupError, StoreTooNew)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] and argv[0] in EXTRAS:  # argparse's REMAINDER drops leading options (`bench --json`)
        return importlib.import_module(EXTRAS[argv[0]]).main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except FAILURES as exc:
        print(f"hall: {exc}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hall", description="The hall server: queue ticketing and hall orchestration.")
    parser.add_argument("--version", action="version", version=f"hall {_version()}", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = _command(sub, "serve", _serve, "serve a hall (the default Quảng Nam hall on embedded SQLite unless told otherwise)")
    _where(serve, data_help="a hall directory made by `hall init`: its hall.toml, its store hall.db, its secret and voice cache")
    serve.add_argument("--config", help="hall file (TOML); overrides DIR/hall.toml; default: the shipped Quảng Nam hall")
    serve.add_argument("--db", help="store URL: sqlite:///path.db (default DIR/hall.db, or ./var/hall.db without --data) "
                                    "or postgresql+psycopg://user@host/db")
    serve.add_argument("--province", metavar="FILE", help="serve every hall a province file lists ([[halls]] with id and file), "
                                                          "each under /h/{id}/ and the first also at the root (docs/province.md)")
    serve.add_argument("--node", metavar="NAME", help="this machine's name among the nodes sharing one PostgreSQL store: each hall is "
                                                      "owned by one node, the others stand by and take over (docs/deploy.md)")
    serve.add_argument("--lease-seconds", type=float, default=LEASE_SECONDS, metavar="S",
                       help=f"with --node: an owner that has not renewed its lease for S seconds (stopped, stuck, cut off) "
                            f"loses its halls to a standby (default {LEASE_SECONDS:g}); a dead owner loses them at once")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 for every address)")
    serve.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    serve.add_argument("--public-url", help="the hall's address as citizens reach it, printed in QR codes and receipts "
                                            "(default: hall.public_url of the hall file)")
    serve.add_argument("--certfile", help="serve HTTPS and WSS with this certificate (PEM, full chain)")
    serve.add_argument("--keyfile", help="the private key of --certfile (PEM)")
    serve.add_argument("--trusted-proxy", action="append", default=[], metavar="ADDRESS",
                       help="a reverse proxy's address whose X-Forwarded-For / X-Forwarded-Proto are believed (repeatable)")
    serve.add_argument("--log-level", choices=LEVELS, default="info", help="least severe messages logged (default info)")
    serve.add_argument("--log-format", choices=FORMATS, default="text", help="text lines or one JSON object a line (default text)")
    serve.add_argument("--access-log", metavar="FILE", help="log every request (route, status, time; no personal data) to FILE, or - for stderr")

    check = _command(sub, "check-config", _check, "validate a hall file exactly as `hall serve` does, and summarise it")
    check.add_argument("config", nargs="?", help="hall file (TOML); default: the shipped hall, or DIR/hall.toml with --data")
    check.add_argument("--data", metavar="DIR", help="check DIR/hall.toml")
    check.add_argument("--province", metavar="FILE", help="check a province file and every hall file it lists (docs/province.md)")

    init = _command(sub, "init", _init, "make a hall directory with fresh credentials (hall.toml, credentials.csv, sheets, secret)")
    init.add_argument("dir", metavar="DIR", help="the new hall directory (created if missing; never overwritten)")
    init.add_argument("--public-url", help="the hall's public address, written to hall.public_url (QR codes, receipts, sheets)")

    users = _group(sub, "users", "manage users' credentials")
    passwd = _command(users, "passwd", _passwd, "give a user a fresh password (printed once)")
    passwd.add_argument("name", metavar="NAME", help="the username, e.g. canbo01")
    _hall_file_options(passwd)

    devices = _group(sub, "devices", "manage devices' credentials")
    token = _command(devices, "token", _token, "give a device a fresh token (printed once)")
    token.add_argument("id", metavar="ID", help="the device id, e.g. kiosk-01")
    _hall_file_options(token)

    back = _command(sub, "backup", _backup, "copy a hall's store consistently, even while it serves")
    _where(back, data_help="back up DIR/hall.db")
    back.add_argument("--db", help="back up this store URL (SQLite file, or PostgreSQL through pg_dump)")
    back.add_argument("out", metavar="OUT", help="the backup file to write (must not exist)")

    rest = _command(sub, "restore", _restore, "restore a backup into an empty store")
    rest.add_argument("backup", metavar="OUT", help="a file written by `hall backup`")
    _where(rest, data_help="restore into DIR/hall.db (DIR needs its hall.toml and secret to serve)")
    rest.add_argument("--db", help="restore into this empty store URL")

    snap = _command(sub, "snapshot", _snapshot, "save the hall's state as a snapshot now (start-up replays only what follows it)")
    _store_options(snap, "the store of DIR (DIR/hall.db, hall file DIR/hall.toml)")

    rebuild = _command(sub, "rebuild-stats", _rebuild_stats, "make the statistics tables again from the journal "
                       "(from the newest snapshot at a day's end, or all of it); stop the hall first")
    _store_options(rebuild, "the store of DIR (DIR/hall.db, hall file DIR/hall.toml)")
    rebuild.add_argument("--all", action="store_true", help="re-project the whole journal, not only the days after the newest snapshot")

    keep = _command(sub, "retention", _retention, "delete citizens' names and phones whose retention period is over "
                    "([retention] of the hall file); the server does it every day")
    _store_options(keep, "the store of DIR (DIR/hall.db, hall file DIR/hall.toml)")
    keep.add_argument("--as-of", metavar="YYYY-MM-DD", type=_day, help="the day to count from (default: today in the hall's time zone)")
    keep.add_argument("--dry-run", action="store_true", help="say what is due, delete nothing")

    _command(sub, "hash-password", _hash_password, "hash a password typed at the prompt (for a hall file edited by hand)")
    for name in EXTRAS:
        extra = _command(sub, name, _extra, f"{name} (see docs/simulation.md and docs/benchmarks.md; `hall {name} --help`)", add_help=False)
        extra.add_argument("rest", nargs=argparse.REMAINDER, help=f"the options of `hall {name}`")
    return parser


def _command(sub: argparse._SubParsersAction, name: str, run: Callable[[argparse.Namespace], int], text: str,
             **kwargs: bool) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=text, description=text, **kwargs)
    parser.set_defaults(run=run)
    return parser


def _group(sub: argparse._SubParsersAction, name: str, text: str) -> argparse._SubParsersAction:
    parser = sub.add_parser(name, help=text, description=text)
    return parser.add_subparsers(dest="action", required=True, metavar="ACTION")


def _where(parser: argparse.ArgumentParser, data_help: str) -> None:
    parser.add_argument("--data", metavar="DIR", help=data_help)


def _store_options(parser: argparse.ArgumentParser, data_help: str) -> None:
    """--data DIR or --db URL, and the hall file (default DIR/hall.toml, or the shipped hall)."""
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--data", metavar="DIR", help=data_help)
    where.add_argument("--db", metavar="URL", help="the store URL: sqlite:///path.db or postgresql+psycopg://user@host/db")
    parser.add_argument("--config", metavar="FILE", help="the hall file; default DIR/hall.toml with --data, else the shipped hall")


def _store_hall(args: argparse.Namespace) -> tuple[str, HallConfig]:
    hall_dir = HallDir.at(args.data) if args.data else None
    config = load_checked_hall(args.config or (str(hall_dir.hall_file) if hall_dir else None))
    if hall_dir is None:
        return args.db, config
    hall_dir.make_store_private()  # a store made here holds citizens' data: owner only, as `hall serve` makes it
    return hall_dir.db_url, config


def _hall_file_options(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--data", metavar="DIR", help="the hall directory whose hall.toml to edit")
    where.add_argument("--config", metavar="FILE", help="the hall file to edit")


def _version() -> str:
    try:
        return version("hall-server")
    except PackageNotFoundError:
        return "unknown"


# ---- the commands ---------------------------------------------------------------------------


def _serve(args: argparse.Namespace) -> int:
    configure_logging(args.log_level, args.log_format, args.access_log)
    options = ServeOptions(args.config, args.db, args.host, args.port, data=args.data, province=args.province, node=args.node,
                           lease_seconds=args.lease_seconds, public_url=args.public_url,
                           certfile=args.certfile, keyfile=args.keyfile, trusted_proxies=tuple(args.trusted_proxy))
    trio.run(lambda: run_hall(options, shutdown_trigger=wait_for_signal))
    return 0


def _check(args: argparse.Namespace) -> int:
    if args.province:
        province, halls = load_checked_province(args.province)
        print(f"{province.name or args.province}: {len(halls)} halls")
    else:
        halls = [load_checked_hall(args.config or (str(HallDir.at(args.data).hall_file) if args.data else None))]
    for hall in halls:
        print(f"{hall.name}: {len(hall.departments)} departments, {len(hall.services)} services, "
              f"{len(hall.cabins)} cabins, {len(hall.users)} users, {len(hall.devices)} devices")
    return 0


def _init(args: argparse.Namespace) -> int:
    hall = HallDir.at(args.dir)
    made = init_hall(hall.root, public_url=args.public_url)
    users = sum(1 for c in made if c.kind == "user")
    print(f"made the hall in {hall.root}: {users} passwords and {len(made) - users} device tokens\n"
          f"  {hall.hall_file.name}        the hall file (hashes only; demo_credentials = false)\n"
          f"  {hall.credentials_file.name}  every plain password and token, once (mode 0600): hand them out, then delete it\n"
          f"  {hall.sheets_dir.name}/          a printable sheet per cabin, and one for the hall\n"
          f"  {hall.secret_file.name}           the key that signs officers' sign-ins (mode 0600)\n"
          f"serve it: hall serve --data {hall.root} --host 0.0.0.0")
    return 0


def _hall_file(args: argparse.Namespace) -> Path:
    return Path(args.config) if args.config else HallDir.at(args.data).hall_file


def _passwd(args: argparse.Namespace) -> int:
    print(replace_password(_hall_file(args), args.name))
    _restart_note()
    return 0


def _token(args: argparse.Namespace) -> int:
    print(replace_token(_hall_file(args), args.id))
    _restart_note()
    return 0


def _restart_note() -> None:
    print("hall: saved; restart the hall for it to take effect (systemctl restart hall)", file=sys.stderr)


def _backup(args: argparse.Namespace) -> int:
    kind = backup(_store(args), Path(args.out))
    print(f"backed up to {args.out} ({kind})", file=sys.stderr)
    return 0


def _restore(args: argparse.Namespace) -> int:
    events = restore(Path(args.backup), _store(args))
    print(f"restored {events} events", file=sys.stderr)
    return 0


def _store(args: argparse.Namespace) -> str:
    if (args.data is None) == (args.db is None):
        raise BackupError("give the store with exactly one of --data DIR or --db URL")
    return args.db or HallDir.at(args.data).db_url


def _snapshot(args: argparse.Namespace) -> int:
    configure_logging("warning", "text", None)
    url, config = _store_hall(args)
    journal = Journal(url)
    try:
        restored, seq = snapshot_now(build_engine(config), journal)
    finally:
        journal.close()
    print(f"snapshot of hall {config.id} at seq {seq} (started from the snapshot at {restored.snapshot_seq} "
          f"and {restored.replayed} events after it)")
    return 0


def _rebuild_stats(args: argparse.Namespace) -> int:
    configure_logging("warning", "text", None)
    url, config = _store_hall(args)
    journal = Journal(url)
    try:
        since = None if args.all else next(((seq, state) for seq, state in saved_states(journal, config)
                                             if boundary_day(state) is not None), None)
        done = rebuild_stats(journal, config, since)
    finally:
        journal.close()
    where = (f"from {done.first_day} on ({done.events} events after the snapshot at seq {done.since_seq})"
             if done.first_day else f"from the whole journal ({done.events} events)")
    print(f"rebuilt the statistics of hall {config.id} {where}")
    return 0


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a day as YYYY-MM-DD, got {text!r}") from None


def _retention(args: argparse.Namespace) -> int:
    configure_logging("warning", "text", None)
    url, config = _store_hall(args)
    journal = Journal(url)
    try:
        report = run_retention(journal, config, args.as_of or config.business_day(time.time()), dry_run=args.dry_run)
    finally:
        journal.close()
    print(report.summary() + (" (dry run: nothing deleted)" if args.dry_run else ""))
    return 0


def _hash_password(_args: argparse.Namespace) -> int:
    print(hash_password(getpass.getpass("password: ")))
    return 0


def _extra(args: argparse.Namespace) -> int:
    return importlib.import_module(EXTRAS[args.command]).main(args.rest)


if __name__ == "__main__":
    sys.exit(main())
