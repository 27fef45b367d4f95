"""README.md runs as written: every ```python block, and every command of its ```bash blocks
(after the opening `make run` / `make test`), against a server this test starts on a free
loopback port on the embedded defaults. A comment line right after a command is that
command's expected standard output."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
TIMEOUT_S = 240
# Commands that start a long-running server: the test starts its own server instead.
LONG_RUNNING = ("serve", "mcp")


def blocks(language: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.M | re.S)


def commands(block: str) -> list[tuple[str, str | None]]:
    """``(command, expected stdout or None)`` pairs; ``\\`` continuations joined."""
    out: list[tuple[str, str | None]] = []
    pending = ""
    for raw in block.splitlines():
        line = raw.rstrip()
        if pending:
            pending += " " + line.strip()
        elif not line.strip():
            continue
        elif line.lstrip().startswith("#"):
            if out and out[-1][1] is None:
                out[-1] = (out[-1][0], line.lstrip()[1:].strip())
            continue
        else:
            pending = line
        if pending.endswith("\\"):
            pending = pending[:-1].rstrip()
            continue
        out.append((pending, None))
        pending = ""
    return out


def localise(text: str, base_url: str) -> str:
    """Point the README's addresses at the test's server and its tools at this interpreter."""
    hostport = base_url.removeprefix("http://")
    text = text.replace("127.0.0.1:8000", hostport).replace("localhost:8000", hostport)
    python = shlex.quote(sys.executable)
    tools = {"promptsentry": f"{python} -m promptsentry", "python": python,
             "pip": f"{python} -m pip"}
    return re.sub(r"(?<![\w/.])\.venv/bin/(promptsentry|python|pip)\b",
                  lambda m: tools[m.group(1)], text)


@pytest.fixture
def readme_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROMPTSENTRY_")}
    env.update(PROMPTSENTRY_DATA_DIR=str(tmp_path / "client-data"),
               PROMPTSENTRY_LOG_LEVEL="warning")
    if env.get("PYTHONPATH"):  # the snippets run in tmp_path: keep a relative path valid
        env["PYTHONPATH"] = os.pathsep.join(
            str(Path(p).resolve()) for p in env["PYTHONPATH"].split(os.pathsep) if p)
    return env


@pytest.fixture
def server(spawn_server) -> str:
    url, _ = spawn_server(["serve", "--host", "127.0.0.1", "--port", "{port}"])
    return url


def test_the_readme_has_the_snippets_this_test_runs():
    assert README.read_text(encoding="utf-8").startswith("# PromptSentry\n\n```bash\nmake run")
    opening = [shlex.split(c, comments=True) for c, _ in commands(blocks("bash")[0])]
    assert opening == [["make", "run"], ["make", "test"]]
    assert len(blocks("python")) >= 2
    assert any("PromptSentryClient" in b for b in blocks("python"))
    assert any("run_pipeline" in b for b in blocks("python"))


def test_every_python_snippet_runs(server, readme_env, tmp_path):
    for number, block in enumerate(blocks("python"), start=1):
        script = tmp_path / f"readme_{number}.py"
        script.write_text(localise(block, server), encoding="utf-8")
        done = subprocess.run([sys.executable, str(script)], env=readme_env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=TIMEOUT_S)
        assert done.returncode == 0, f"README python block {number}:\n{block}\n{done.stderr}"
        verdict = done.stdout.split()[0]
        assert verdict in {"clean", "malicious"}, done.stdout
    # The SDK snippet scans an attack; the in-process one a benign question.
    sdk_block = next(b for b in blocks("python") if "PromptSentryClient" in b)
    assert "Ignore previous instructions" in sdk_block


def test_every_shell_command_runs(server, readme_env, tmp_path):
    ran, skipped = 0, []
    for block in blocks("bash")[1:]:  # the first block is `make run` / `make test`
        for command, expected in commands(block):
            words = shlex.split(command, comments=True)
            if words[:1] == [".venv/bin/promptsentry"] and words[1:2] and \
                    words[1] in LONG_RUNNING:
                skipped.append(words[1])
                continue
            done = subprocess.run(["bash", "-o", "pipefail", "-c", localise(command, server)],
                                  env=readme_env, cwd=tmp_path, capture_output=True, text=True,
                                  timeout=TIMEOUT_S, stdin=subprocess.DEVNULL)
            assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
            if expected is not None:
                assert done.stdout.strip() == expected, command
            ran += 1
    assert ran >= 5
    assert skipped == ["mcp"]  # a new long-running command in the README needs a decision here
