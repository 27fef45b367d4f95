"""The settings table in docs/CONFIGURATION.md is generated from the code and must match it."""

from pathlib import Path

from promptsentry.config import Settings
from promptsentry.config_docs import BEGIN, END, render_block

DOC = Path(__file__).resolve().parents[1] / "docs" / "CONFIGURATION.md"


def test_configuration_doc_matches_the_settings() -> None:
    text = DOC.read_text(encoding="utf-8")
    block = text[text.index(BEGIN): text.index(END) + len(END)]
    assert block == render_block(), "run `python -m promptsentry.config_docs` to refresh it"


def test_every_setting_is_documented_with_a_description() -> None:
    missing = [name for name, field in Settings.model_fields.items() if not field.description]
    assert missing == [], f"settings without a description: {missing}"
