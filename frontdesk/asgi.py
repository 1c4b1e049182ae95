"""ASGI entry point for uvicorn and other servers: `frontdesk.asgi:app`."""

from frontdesk.app import create_app

app = create_app()
