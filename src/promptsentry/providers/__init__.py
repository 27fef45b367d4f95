"""The provider layer: every outbound LLM call (the judge, its escalation model, the
optimizer's ``llm`` engine) goes through :class:`~promptsentry.providers.client.ProviderClient`
over one of three wire formats, with SSRF-pinned egress for endpoints a tenant configures."""

from promptsentry.providers.client import Completion, Endpoint, ProviderClient, ProviderError
from promptsentry.providers.egress import EgressPolicy, UnsafeEndpoint, check_endpoint
from promptsentry.providers.wire import APIS, ChatRequest

__all__ = ["APIS", "ChatRequest", "Completion", "EgressPolicy", "Endpoint", "ProviderClient",
           "ProviderError", "UnsafeEndpoint", "check_endpoint"]
