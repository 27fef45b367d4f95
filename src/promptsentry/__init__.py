"""PromptSentry — a self-hosted prompt firewall and prompt optimizer.

The public, in-process entry points are::

    from promptsentry.schemas.request import ScanRequest
    from promptsentry.pipeline.runner import run_pipeline

    result = await run_pipeline(ScanRequest(prompt="..."))
    result.model_dump()  # the same fields POST /scan answers
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
