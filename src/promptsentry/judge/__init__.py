"""The LLM judge: a model reads gray-zone texts (and the scan types a tenant chooses) and has
the last word, within the rules of :mod:`promptsentry.judge.rules` (docs/JUDGE.md)."""
