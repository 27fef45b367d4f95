"""Pure analysers for agent traffic: tool calls, secrets and PII, response leaks, and
instructions hidden in documents. No I/O; the pipeline stages and the session API call them."""
