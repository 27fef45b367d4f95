"""State behind interfaces.

* The **hot store** (:class:`~promptsentry.stores.base.HotStore`) keeps fast, expiring state:
  scan records, and later rate-limit windows, strikes, automatic blocks and session graphs.
  Embedded default: in-process (:mod:`promptsentry.stores.memory`).
"""
