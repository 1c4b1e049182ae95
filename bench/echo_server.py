"""The ceiling: a bare Starlette WebSocket echo on uvicorn, with frontdesk's uvicorn settings.

    .venv/bin/python -m bench.echo_server --port 8765

Every text frame received on /ws is sent straight back. Nothing else: no parsing, no database,
no fan-out. Whatever frontdesk does per chat message is paid for out of what this leaves.
"""

from __future__ import annotations

import argparse

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect


async def echo(ws: WebSocket) -> None:
    await ws.accept()
    try:
        while True:
            await ws.send_text(await ws.receive_text())
    except WebSocketDisconnect:
        pass


async def healthz(_request) -> PlainTextResponse:  # type: ignore[no-untyped-def]
    return PlainTextResponse("ok")


app = Starlette(routes=[WebSocketRoute("/ws", echo), Route("/healthz", healthz)])


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    # The same settings as frontdesk.cli._serve.
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        ws="websockets-sansio",
        ws_max_size=64 * 1024,
        ws_per_message_deflate=False,
        log_level="warning",
        proxy_headers=True,
        timeout_graceful_shutdown=5,
    )


if __name__ == "__main__":
    main()
