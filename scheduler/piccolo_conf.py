"""Piccolo configuration: the engine follows DATABASE_URL (see settings.py)."""

from __future__ import annotations

from piccolo.conf.apps import AppRegistry

from scheduler.core.db import engine_from_url
from scheduler.core.settings import get_settings

DB = engine_from_url(get_settings().database_url)

APP_REGISTRY = AppRegistry(apps=["scheduler.piccolo_app"])
