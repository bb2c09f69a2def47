"""ASGI entry point for app servers: ``uvicorn scheduler.asgi:app``."""

from scheduler.app import create_app

app = create_app()
