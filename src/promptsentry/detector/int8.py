"""Int8 ONNX graphs that give the same numbers on every CPU.

The shipped transformer graphs are dynamically quantised (``onnxruntime.quantization.
quantize_dynamic``): activations are quantised to uint8 at run time and multiplied by int8
weights (``MatMulInteger``). How onnxruntime computes uint8 × int8 depends on the CPU:

* x86-64 with VNNI (``avx512_vnni`` or ``avx_vnni``: Intel since Cascade Lake / Alder Lake,
  AMD since Zen 4) and ARM64 accumulate the products in 32 bits — exact;
* x86-64 without VNNI (AVX2, AVX-512 without VNNI) adds pairs of products in 16 bits
  (``vpmaddubsw``), which saturate — onnxruntime's documentation calls this the "saturation
  issue" of U8S8 on such CPUs.

So the same model gave different probabilities on different machines: detector 3.4.2 scored an
injected 32 KB document 0.8545 on a VNNI machine and 0.8466 on one without VNNI, against a
threshold of 0.8501. On a CPU without a known-exact uint8 × int8 kernel the weights are re-encoded
as uint8 when the model is loaded (``w + 128``, zero point ``+ 128``): the same numbers, computed
by the uint8 × uint8 kernel, which widens to 16 bits before multiplying and is exact everywhere
(it is slower than the VNNI kernel, hence only where needed). Every machine then computes what a
VNNI machine computes, up to the order of float additions.

``PROMPTSENTRY_INT8_WEIGHTS`` = ``auto`` (default) | ``signed`` (load the file as it is) |
``unsigned`` (always re-encode) overrides the choice.
"""

from __future__ import annotations

import os
import platform
from functools import lru_cache
from pathlib import Path

__all__ = ["WEIGHTS_ENV", "exact_signed_kernel", "session_source", "unsigned_weights"]

WEIGHTS_ENV = "PROMPTSENTRY_INT8_WEIGHTS"
_MODES = ("auto", "signed", "unsigned")
_VNNI_FLAGS = frozenset({"avx512_vnni", "avx_vnni"})


def _cpu_flags(cpuinfo: str) -> set[str]:
    """The x86 feature flags of the first processor in a ``/proc/cpuinfo`` text."""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return set(value.split())
    return set()


@lru_cache(maxsize=1)
def exact_signed_kernel() -> bool:
    """Whether onnxruntime's uint8 × int8 kernel is exact on this CPU (see the module doc)."""
    machine = platform.machine().lower()
    if machine in ("arm64", "aarch64"):
        return True
    if machine not in ("x86_64", "amd64"):
        return False  # unknown: take the kernel that is exact everywhere
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            flags = _cpu_flags(fh.read())
    except OSError:  # not Linux: no cheap, dependable way to ask; be exact rather than fast
        return False
    return bool(flags & _VNNI_FLAGS)


def _mode() -> str:
    mode = os.environ.get(WEIGHTS_ENV, "auto").strip().lower() or "auto"
    if mode not in _MODES:
        raise ValueError(f"{WEIGHTS_ENV}={mode!r}: expected one of {', '.join(_MODES)}")
    return mode


def session_source(onnx_path: str | Path) -> str | bytes:
    """What to hand ``onnxruntime.InferenceSession``: the file's path, or — where the CPU's
    uint8 × int8 kernel is not exact — the serialised graph with unsigned weights."""
    mode = _mode()
    if mode == "signed" or (mode == "auto" and exact_signed_kernel()):
        return str(onnx_path)
    import onnx

    model = onnx.load(str(onnx_path))
    if unsigned_weights(model) == 0:
        return str(onnx_path)
    return model.SerializeToString()


def unsigned_weights(model: object) -> int:
    """Re-encode, in place, the int8 weights (and zero points) of every ``MatMulInteger`` of an
    ``onnx.ModelProto`` as uint8 ``+ 128``; return how many tensors changed.

    ``(a - za) · (w - zw) = (a - za) · ((w + 128) - (zw + 128))``: the graph computes the same
    integers. A weight that another operator also reads is refused (it would change meaning).
    """
    import numpy as np
    import onnx
    from onnx import numpy_helper

    graph = model.graph  # type: ignore[attr-defined]
    inits = {t.name: t for t in graph.initializer}
    chosen: set[str] = set()
    for node in graph.node:
        if node.op_type != "MatMulInteger":
            continue
        weight = node.input[1]
        if weight not in inits or inits[weight].data_type != onnx.TensorProto.INT8:
            continue
        zero = node.input[3] if len(node.input) > 3 else ""
        if zero not in inits or inits[zero].data_type != onnx.TensorProto.INT8:
            raise ValueError(f"{node.name}: int8 weight {weight!r} without a constant int8 zero point")
        chosen.update((weight, zero))
    readers: dict[str, set[tuple[str, int]]] = {name: set() for name in chosen}
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name in readers:
                readers[name].add((node.op_type, i))
    for name in sorted(chosen):
        other = readers[name] - {("MatMulInteger", 1), ("MatMulInteger", 3)}
        if other:
            raise ValueError(f"int8 tensor {name!r} is also read by {sorted(other)}")
        values = numpy_helper.to_array(inits[name]).astype(np.int16) + 128
        inits[name].CopyFrom(numpy_helper.from_array(values.astype(np.uint8), name))
    return len(chosen)
