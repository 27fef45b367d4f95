"""The import paths the official SDK and the README use stay importable after the move of the
wire shapes to ``promptsentry.schemas`` — as the very same classes, not copies."""

from __future__ import annotations

import importlib


def test_models_paths_re_export_the_schemas_classes():
    old_req = importlib.import_module("promptsentry.models.request")
    old_resp = importlib.import_module("promptsentry.models.response")
    old_pkg = importlib.import_module("promptsentry.models")
    from promptsentry.schemas import request, response

    assert old_req.ScanRequest is request.ScanRequest
    assert old_req.ScanType is request.ScanType
    assert old_req.MAX_PROMPT_BYTES == request.MAX_PROMPT_BYTES
    assert old_resp.ScanResponse is response.ScanResponse
    assert old_resp.StageReport is response.StageReport
    assert old_pkg.ScanRequest is request.ScanRequest and old_pkg.ScanResponse is response.ScanResponse


def test_sdk_in_process_entry_points_import():
    from promptsentry.models.request import ScanRequest
    from promptsentry.pipeline.runner import run_pipeline

    assert callable(run_pipeline)
    assert ScanRequest(prompt="hello").prompt == "hello"
