"""Credentials and abuse control: API keys, JWT verification, rate limits, strikes and blocks.

Pure logic over the store interfaces; the HTTP layer (``api/auth.py``, ``api/routes/admin.py``)
turns its outcomes into responses.
"""
