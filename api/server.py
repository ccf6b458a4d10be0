"""Serving a hall with hypercorn's trio worker, with its known hazards handled.

STACK-NOTES.md lists four hazards of hypercorn under quart-trio; each is handled here and has a
regression test in tests/test_server_hazards.py:

1. HTTP connections were never closed by the server (Connection: close, HTTP/1.0, keep-alive
   timeout ignored): the ASGI `send` of HTTP scopes runs in a shielded cancel scope.
2. A client that stops reading blocks its websocket send forever: broadcasts never await a
   client (api/broadcast.py), and listening sockets carry TCP_USER_TIMEOUT and keepalive so the
   kernel cuts a stuck peer and shutdown finishes.
3. One malformed websocket upgrade request killed the whole server: each connection's handler
   is contained, so a failure ends that connection only.
4. Pings were sent but pongs never checked: `read_timeout` drops dead peers.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import os
import signal
import socket
import ssl
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hypercorn.trio.run
import trio
from hypercorn.config import Config, Sockets
from hypercorn.trio import serve as hypercorn_serve
from hypercorn.trio.tcp_server import TCPServer

from hall.clock import Clock, SystemClock
from hall.config import HallConfig, public_url
from hall.credentials import verify_password, verify_token

from .app import create_province_app
from .assembly import build_runtime
from .auth import Signer, is_loopback
from .forwarded import trust_forwarded
from .hall_dir import HallDir
from .hall_file import load_checked_hall, load_checked_province
from .ownership import LEASE_SECONDS, RENEW_SECONDS, HallOwnership
from .runtime import HallRuntime
from .signing_secret import SecretRefused, default_secret_file, load_signing_secret
from .systemd import notify

log = logging.getLogger("hall.server")

USER_TIMEOUT_MS = 15_000  # the kernel cuts a peer that has not acknowledged data for this long
WEBSOCKET_MAX_MESSAGE = 1024 * 1024  # transport hard limit; past it the socket closes with 1009


class HallHypercornConfig(Config):
    """Hypercorn configuration whose listening sockets cut stuck and dead peers."""

    def create_sockets(self) -> Sockets:
        sockets = super().create_sockets()
        for sock in sockets.insecure_sockets + sockets.secure_sockets:
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 30)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 10)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, USER_TIMEOUT_MS)
        return sockets


class ContainedTCPServer(TCPServer):
    """A connection handler whose failure ends that connection, never the server."""

    async def run(self) -> None:
        try:
            await super().run()
        except Exception as exc:  # noqa: BLE001 - one client's bad bytes must not stop the hall
            log.warning("connection failed and was closed: %s: %s", type(exc).__name__, exc)


# hypercorn's trio worker builds its handlers from this module attribute; replacing it is the
# narrowest way to contain per-connection failures (hypercorn issue 225).
hypercorn.trio.run.TCPServer = ContainedTCPServer  # type: ignore[misc]


@dataclass
class ServeOptions:
    config: str | None = None
    db: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    data: str | None = None  # a hall directory (`hall init`): hall.toml, hall.db, secret, voice/
    province: str | None = None  # a province file (hall/province.py): several halls in one server
    node: str | None = None  # this node's name among several sharing a PostgreSQL store (api/ownership.py)
    lease_seconds: float = LEASE_SECONDS  # an owner silent this long loses its halls to a standby
    public_url: str | None = None  # the address in QR codes and receipts; default: the hall file's
    certfile: str | None = None  # HTTPS and WSS with this certificate (chain) and key
    keyfile: str | None = None
    trusted_proxies: tuple[str, ...] = ()  # peers whose X-Forwarded-For / -Proto are believed
    inline_commit: bool = False  # virtual-time runs: commit on the trio thread (see api/runtime.py)
    ping_interval: float = 20.0  # websocket pings; a peer silent for read_timeout is dropped
    read_timeout: float = 45.0
    keep_alive_timeout: float = 5.0  # virtual-time simulations relax it (simulators/virtual.py)


def hypercorn_config(options: ServeOptions) -> HallHypercornConfig:
    config = HallHypercornConfig()
    host, port = options.host, options.port
    config.bind = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
    config.websocket_ping_interval = options.ping_interval
    config.read_timeout = options.read_timeout
    config.keep_alive_timeout = options.keep_alive_timeout
    config.graceful_timeout = 5
    config.websocket_max_message_size = WEBSOCKET_MAX_MESSAGE
    config.accesslog = None  # api/logs.py writes the access log, without personal data
    config.errorlog = log
    config.certfile, config.keyfile = options.certfile, options.keyfile
    return config


ASGIApp = Callable[[dict, Callable[[], Awaitable[dict]], Callable[[dict], Awaitable[None]]], Awaitable[None]]


def shield_http_send(app: ASGIApp) -> ASGIApp:
    """Run HTTP sends in a shielded scope so hypercorn can finish and close the connection."""

    async def wrapped(scope: dict, receive: Callable[[], Awaitable[dict]], send: Callable[[dict], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def shielded_send(message: dict) -> None:
            with trio.CancelScope(shield=True):
                await send(message)

        await app(scope, receive, shielded_send)

    return wrapped


class DemoCredentialsRefused(SystemExit):
    pass


class ServeRefused(Exception):
    """An option or file `hall serve` cannot start with; the message says which and why."""


@dataclass(frozen=True)
class ServePaths:
    """Where one served hall's files are, every path absolute."""

    config: str | None  # None: the shipped default hall
    db_url: str
    secret_file: Path
    voice_dir: Path | None  # None: api.announcer.default_voice_dir()


def serve_paths(options: ServeOptions) -> ServePaths:
    """`--data DIR` puts everything in DIR; `--config` and `--db` override its parts."""
    if options.data is None:
        db = options.db or default_db_url()
        return ServePaths(options.config, db, default_secret_file(db), None)
    hall = HallDir.at(options.data)
    if options.config is None and options.province is None and not hall.hall_file.is_file():
        raise ServeRefused(f"{hall.hall_file} does not exist: make the hall with `hall init {hall.root}`")
    if options.db is None:
        hall.make_store_private()
    return ServePaths(options.config or str(hall.hall_file), options.db or hall.db_url, hall.secret_file, hall.voice_dir)


def check_tls(options: ServeOptions) -> None:
    """Both files or neither, and a pair that loads (hypercorn would fail later with a traceback)."""
    if (options.certfile is None) != (options.keyfile is None):
        raise ServeRefused("HTTPS needs both --certfile and --keyfile")
    if options.certfile and options.keyfile:
        try:
            ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(options.certfile, options.keyfile)
        except (OSError, ssl.SSLError) as exc:
            raise ServeRefused(f"cannot use the certificate {options.certfile} with the key {options.keyfile}: {exc}") from None


def load_served_hall(options: ServeOptions, paths: ServePaths) -> HallConfig:
    """The hall file checked as `hall check-config` checks it, with `--public-url` applied."""
    config = load_checked_hall(paths.config)
    if options.public_url is not None:
        config = dataclasses.replace(config, public_url=public_url(options.public_url, "--public-url"))
    return config


@dataclass(frozen=True)
class ServedHalls:
    """What one server serves: a hall, or the halls of a province (the first one at the root)."""

    name: str  # the province's name; "" for a single hall
    configs: list[HallConfig]
    province: bool


def load_served_halls(options: ServeOptions, paths: ServePaths) -> ServedHalls:
    """The hall of `--config`/`--data`, or every hall of `--province FILE`, each checked as
    `hall check-config` checks it. With a province, `--public-url URL` is the first hall's
    address and URL/h/{id} every other hall's."""
    if options.province is None:
        return ServedHalls("", [load_served_hall(options, paths)], province=False)
    if options.config is not None:
        raise ServeRefused("give the halls with --province FILE or a hall with --config FILE, not both")
    province, configs = load_checked_province(options.province)
    if options.public_url is not None:
        base = public_url(options.public_url, "--public-url")
        configs = [dataclasses.replace(config, public_url=base if index == 0 else f"{base}/h/{config.id}")
                   for index, config in enumerate(configs)]
    return ServedHalls(province.name, configs, province=True)


def check_node(options: ServeOptions, db_url: str) -> None:
    """`--node` shares the halls with other nodes through PostgreSQL, and only through it."""
    if options.node is None:
        return
    if not db_url.startswith("postgresql"):
        raise ServeRefused("--node needs a PostgreSQL store (--db postgresql+psycopg://…) shared by every node")
    if not options.node or len(options.node) > 64:
        raise ServeRefused(f"--node {options.node!r}: give a name of 1 to 64 characters")
    if options.inline_commit:
        raise ServeRefused("--node cannot run in virtual time (inline commits)")
    if options.lease_seconds < MIN_LEASE_SECONDS:
        raise ServeRefused(f"--lease-seconds {options.lease_seconds:g}: at least {MIN_LEASE_SECONDS:g} "
                           f"(the owner renews every {RENEW_SECONDS:g} s)")


MIN_LEASE_SECONDS = 2 * RENEW_SECONDS
IDLE_IN_TRANSACTION_SECONDS = 3.0  # with --node: a stopped owner's open append is ended this soon (hall/journal.py)


def default_db_url() -> str:
    folder = Path.cwd() / "var"
    folder.mkdir(exist_ok=True)
    return f"sqlite:///{folder / 'hall.db'}"


def check_demo_credentials(config: HallConfig, host: str) -> None:
    """Off loopback, refuse the demo flag and — whatever the flag says — any stored hash that
    still verifies the demo password `demo` or a demo device token `demo-` + the device id."""
    if is_loopback(host):
        return
    if config.demo_credentials:
        raise DemoCredentialsRefused(
            f"refusing to listen on {host}: the hall file still has the demo credentials "
            "(password 'demo', tokens 'demo-…'). Replace them (hall users passwd, hall devices token, "
            "or a fresh `hall init`) and set hall.demo_credentials = false, or listen on 127.0.0.1."
        )
    found = demo_credentials_in_use(config)
    if found:
        shown = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
        raise DemoCredentialsRefused(
            f"refusing to listen on {host}: {shown} still use the demo password or token, although "
            "hall.demo_credentials = false. Replace them (hall users passwd NAME, hall devices token ID)."
        )


def demo_credentials_in_use(config: HallConfig) -> list[str]:
    """The users whose hash verifies `demo` and the devices whose token is `demo-` + their id."""
    users = list(config.users.values())
    # Password checks release the GIL: every core at once (about a second for 63 users).
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        demo = list(pool.map(lambda user: verify_password("demo", user.password_hash), users))
    found = [f"user {user.username}" for user, is_demo in zip(users, demo) if is_demo]
    found += [f"device {d.id}" for d in config.devices.values() if verify_token(f"demo-{d.id}", d.token_hash)]
    return found


async def wait_for_signal() -> None:
    with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async for signum in signals:
            log.info("received %s, shutting down", signal.Signals(signum).name)
            return


async def run_hall(
    options: ServeOptions,
    *,
    clock: Clock | None = None,
    shutdown_trigger: Callable[[], Awaitable[None]] | None = None,
    task_status: trio.TaskStatus[Any] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Load, replay and serve one hall (or a province's halls) until the shutdown trigger fires.

    Under systemd (`NOTIFY_SOCKET`), says READY=1 once the journal is replayed and the server
    listens, and STOPPING=1 when the shutdown trigger fires.
    """
    paths = serve_paths(options)
    served = load_served_halls(options, paths)
    for config in served.configs:
        check_demo_credentials(config, options.host)
    check_tls(options)
    check_node(options, paths.db_url)
    try:
        secret = load_signing_secret(paths.secret_file)
    except SecretRefused as exc:
        raise ServeRefused(str(exc)) from None
    runtimes: list[HallRuntime] = []
    try:
        for config in served.configs:
            runtimes.append(build_runtime(config, paths.db_url, clock or SystemClock(), inline_commit=options.inline_commit,
                                          idle_in_transaction_seconds=IDLE_IN_TRANSACTION_SECONDS if options.node else None))
        signers = [Signer.for_hall(secret, r.config.id) if served.province else Signer(secret) for r in runtimes]
        # sign-in keeps upgraded password hashes in the hall file (a province's files are its own)
        hall_files = [] if served.province or paths.config is None else [Path(paths.config)]
        app = trust_forwarded(create_province_app(list(zip(runtimes, signers)), paths.voice_dir, per_hall=served.province,
                                                  name=served.name, hall_files=hall_files), options.trusted_proxies)
        await _serve(app, runtimes, options, shutdown_trigger, task_status)
    finally:
        for runtime in runtimes:
            runtime.journal.close()


async def _serve(app: Any, runtimes: list[HallRuntime], options: ServeOptions,
                 shutdown_trigger: Callable[[], Awaitable[None]] | None, task_status: trio.TaskStatus[Any]) -> None:
    runtime = runtimes[0]

    async def stop_when_triggered() -> None:
        await (shutdown_trigger or trio.sleep_forever)()
        notify("STOPPING=1")

    async with trio.open_nursery() as nursery:
        owners: dict[str, HallOwnership] = {}
        for each in runtimes:
            await nursery.start(each.run)
            if options.node is not None:  # after its runtime: a takeover makes the day roll durable
                owners[each.config.id] = HallOwnership(each, options.node, options.lease_seconds)
                await nursery.start(owners[each.config.id].run)

        async def serve_then_stop(task_status: trio.TaskStatus[list[str]]) -> None:
            try:
                await hypercorn_serve(
                    shield_http_send(app), hypercorn_config(options),
                    shutdown_trigger=stop_when_triggered, task_status=task_status, mode="asgi",
                )
            finally:
                nursery.cancel_scope.cancel()  # the server is done: stop the runtime's tasks

        binds = await nursery.start(serve_then_stop)
        # Start-up objects leave the collector's view and young collections are rarer: with
        # 500 screens connected, the default thresholds put 130 ms collections in the
        # call-to-screen p99 (135 ms -> 55 ms measured with `hall bench`; STACK-NOTES.md).
        gc.collect()
        gc.set_threshold(100_000, 50, 100)
        gc.freeze()
        replayed = sum(each.replayed for each in runtimes)
        for each in runtimes:
            log.info("hall %s serving on %s (snapshot at seq %d, replayed %d events after it)",
                     each.config.id, binds[0], each.snapshot_seq, each.replayed)
        notify(f"READY=1\nSTATUS=serving on {binds[0]}, {replayed} events replayed")
        task_status.started(HallServer(binds[0], runtime, {each.config.id: each for each in runtimes}))


@dataclass
class HallServer:
    url: str
    runtime: HallRuntime  # the first (or only) hall's
    halls: dict[str, HallRuntime] = dataclasses.field(default_factory=dict)  # every hall served, by id
    ownership: dict[str, HallOwnership] = dataclasses.field(default_factory=dict)  # with --node, by hall id
