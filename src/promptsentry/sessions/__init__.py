"""Agent sessions: the provenance graph of one conversation and where it is kept.

:mod:`~promptsentry.sessions.graph` is pure (labels, taint, the capability gate, bounded
size); :mod:`~promptsentry.sessions.store` keeps graphs with a sliding TTL, in process or in
Redis, with atomic appends.
"""
