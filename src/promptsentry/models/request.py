"""Kept import path of :mod:`promptsentry.schemas.request` (the official SDK imports it)."""

from promptsentry.schemas.request import *  # noqa: F403
