"""Pure text helpers of the normalise stage.

* :mod:`.unicode` — NFKC, invisible/bidi/control characters, Unicode tag smuggling;
* :mod:`.homoglyphs` — look-alike letters and leetspeak folded to ASCII;
* :mod:`.decoders` — base64, hex, URL-encoded and rot13 payloads, decoded within bounds.

No state and no I/O: every function maps text to text (and counts).
"""
