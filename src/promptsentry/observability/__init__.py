"""Logs and metrics: structured, redacted, and free of prompt text."""
