"""One settings system: the optimizer's settings are read by ``Settings`` from the same
environment names as before, from top-level TOML keys and from the ``[optimizer]`` table."""

from __future__ import annotations

import pytest

from promptsentry.config import Settings
from promptsentry.optimizer.settings import OptimizerSettings


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    import os

    for key in list(os.environ):
        if key.startswith("PROMPTSENTRY_"):
            monkeypatch.delenv(key)
    return monkeypatch


def test_optimizer_settings_keep_their_environment_names(clean_env, tmp_path) -> None:
    clean_env.setenv("PROMPTSENTRY_OPTIMIZER_DEFAULT_ENGINE", "hybrid")
    clean_env.setenv("PROMPTSENTRY_OPTIMIZER_LLM_PROVIDER", "anthropic")
    clean_env.setenv("PROMPTSENTRY_OPTIMIZER_LLM_API_KEY", "sk-test")
    clean_env.setenv("PROMPTSENTRY_OPTIMIZER_PLANS",
                     '{"solo": {"optimize_quota_per_month": 5, "rate_limit_per_minute": 1}}')
    clean_env.setenv("PROMPTSENTRY_OPTIMIZER_DEFAULT_PLAN", "solo")
    view = OptimizerSettings.of(Settings(data_dir=tmp_path))
    assert view.default_engine == "hybrid"
    assert view.llm_provider == "anthropic"
    assert view.llm_api_key is not None and view.llm_api_key.get_secret_value() == "sk-test"
    assert view.plans == {"solo": {"optimize_quota_per_month": 5, "rate_limit_per_minute": 1}}
    assert view.default_plan == "solo"


def test_the_toml_file_takes_an_optimizer_table_and_prefixed_keys(clean_env, tmp_path) -> None:
    path = tmp_path / "promptsentry.toml"
    path.write_text('optimizer_llm_model = "llama3"\n'
                    'monitor_mode = true\n'
                    '[optimizer]\n'
                    'default_engine = "llm"\n'
                    'llm_timeout_s = 12.5\n'
                    'save_templates = false\n', encoding="utf-8")
    clean_env.setenv("PROMPTSENTRY_CONFIG_FILE", str(path))
    settings = Settings(data_dir=tmp_path)
    view = OptimizerSettings.of(settings)
    assert settings.monitor_mode is True
    assert (view.default_engine, view.llm_model, view.llm_timeout_s, view.save_templates) == (
        "llm", "llama3", 12.5, False)
    # The environment still wins over the file.
    clean_env.setenv("PROMPTSENTRY_OPTIMIZER_DEFAULT_ENGINE", "rules")
    assert OptimizerSettings.of(Settings(data_dir=tmp_path)).default_engine == "rules"


def test_an_invalid_optimizer_setting_is_refused(clean_env, tmp_path) -> None:
    clean_env.setenv("PROMPTSENTRY_OPTIMIZER_LLM_RETRIES", "9")
    with pytest.raises(ValueError, match="optimizer_llm_retries"):
        Settings(data_dir=tmp_path)
