"""The bare stack the hall stands on, served alone so `hall bench` can measure its ceiling.

Absolute speeds differ 2–3× between machines of one kind (STACK-NOTES.md), so the bench reports
the hall against this server measured in the same run: quart-trio on hypercorn's trio worker,
configured exactly as `hall serve` (`api.server.hypercorn_config`, `shield_http_send`, the
contained TCP server that importing `api.server` installs, the same collector settings after
start-up), with none of the hall's work:

* `POST /noop` reads the request and answers a tiny JSON — the ceiling of `POST /api/v1/tickets`;
* `/ws/screen` sends `{"t": "hello"}`, then every frame pushed; `POST /push {"number": N}`
  encodes one small frame once and offers it to every connected screen — the ceiling of a call
  reaching the hall displays. As in `api/broadcast.py`, each screen has a bounded queue filled
  with `send_nowait` and the pusher never awaits a screen: one that falls behind is cut off.

Run it as `python -m simulators.stack --port P` (simulators/server_process.py does).
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from functools import partial

import trio
from hypercorn.trio import serve as hypercorn_serve
from quart import Response, request, websocket
from quart_trio import QuartTrio

from api.broadcast import QUEUE_LIMIT
from api.errors import json_response
from api.server import ServeOptions, hypercorn_config, shield_http_send, wait_for_signal

NOOP_PATH = "/noop"
PUSH_PATH = "/push"
SCREEN_PATH = "/ws/screen"
HELLO = '{"t": "hello"}'
CLOSE_FELL_BEHIND = 1013


def create_stack_app() -> QuartTrio:
    app = QuartTrio("stack", static_folder=None)
    screens: set[trio.MemorySendChannel[str]] = set()

    @app.get("/api/v1/health")
    async def health() -> Response:
        return json_response({"ok": True})

    @app.post(NOOP_PATH)
    async def noop() -> Response:
        await request.get_data()
        return json_response({"ok": True}, 201)

    @app.post(PUSH_PATH)
    async def push() -> Response:
        number = (await request.get_json())["number"]
        frame = json.dumps({"t": "call", "number": number})  # encoded once, the same text to every screen
        for screen in list(screens):
            try:
                screen.send_nowait(frame)
            except (trio.WouldBlock, trio.BrokenResourceError, trio.ClosedResourceError):
                screens.discard(screen)
                screen.close()
        return json_response({"screens": len(screens)})

    @app.websocket(SCREEN_PATH)
    async def screen() -> None:
        send, receive = trio.open_memory_channel[str](QUEUE_LIMIT)
        screens.add(send)
        try:
            await websocket.send(HELLO)
            async for frame in receive:
                await websocket.send(frame)
            await websocket.close(CLOSE_FELL_BEHIND, "fell behind")
        finally:
            screens.discard(send)
            send.close()

    return app


async def run_stack(options: ServeOptions, shutdown_trigger: Callable[[], Awaitable[None]],
                    task_status: trio.TaskStatus[str] = trio.TASK_STATUS_IGNORED) -> None:
    """Serve the bare app until the trigger fires, set up as `api.server.run_hall` sets up the hall."""
    app = shield_http_send(create_stack_app())
    async with trio.open_nursery() as nursery:
        binds = await nursery.start(partial(hypercorn_serve, app, hypercorn_config(options),
                                            shutdown_trigger=shutdown_trigger, mode="asgi"))
        # The same collector settings as `run_hall` after start-up, so neither side of the
        # comparison pays for collections the other is spared.
        gc.collect()
        gc.set_threshold(100_000, 50, 100)
        gc.freeze()
        task_status.started(binds[0])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulators.stack", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    trio.run(run_stack, ServeOptions(host=args.host, port=args.port), wait_for_signal)
    return 0


if __name__ == "__main__":
    sys.exit(main())
