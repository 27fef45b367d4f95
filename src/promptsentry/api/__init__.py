"""The HTTP API (FastAPI). ``create_app()`` builds it; routes live in ``routes/``."""

from promptsentry.api.app import create_app

__all__ = ["create_app"]
