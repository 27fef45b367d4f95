"""Kept import path of :mod:`promptsentry.schemas.response` (the official SDK may import it)."""

from promptsentry.schemas.response import *  # noqa: F403
