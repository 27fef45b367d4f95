"""Where the detector's encoder stage spends its time: onnxruntime's per-operator profile.

Runs the shipped encoder graph (``classifier.int8.onnx``) on one text of a given length, one
thread, ``--runs`` times with onnxruntime profiling on, and prints the mean milliseconds per
run of each operator type (the fused kernels onnxruntime actually executes) and the wall time
per call for 14, 44 and 128 word pieces. The profile file goes to a temporary directory.

    .venv/bin/python bench/encoder_profile.py                 # a 160-character unit
    .venv/bin/python bench/encoder_profile.py --chars 512 --runs 100
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import tempfile
import time

import numpy as np

from promptsentry.detector.model import ARTIFACTS_DIR

_TEXT = ("The function parse_config reads the YAML file, merges environment overrides and "
         "returns a frozen dataclass. ") * 8


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chars", type=int, default=160, help="length of the profiled text")
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    import onnxruntime as ort
    from tokenizers import Tokenizer

    spec = json.loads((ARTIFACTS_DIR / "model.json").read_text(encoding="utf-8"))["encoder"]
    tokenizer = Tokenizer.from_file(str(ARTIFACTS_DIR / spec["tokenizer"]))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=int(spec.get("max_tokens", 128)))

    def session(profile_dir: str | None) -> ort.InferenceSession:
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if profile_dir is not None:
            opts.enable_profiling = True
            opts.profile_file_prefix = os.path.join(profile_dir, "encoder")
        return ort.InferenceSession(str(ARTIFACTS_DIR / spec["onnx"]), sess_options=opts,
                                    providers=["CPUExecutionProvider"])

    def feeds(sess: ort.InferenceSession, text: str) -> dict[str, np.ndarray]:
        ids = np.array([tokenizer.encode(text).ids], dtype=np.int64)
        out = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
        if "token_type_ids" in {i.name for i in sess.get_inputs()}:
            out["token_type_ids"] = np.zeros_like(ids)
        return out

    plain = session(None)
    print("wall time per call (median of", args.runs, "runs, one thread):")
    for chars in (40, 160, 512):
        f = feeds(plain, _TEXT[:chars])
        plain.run(None, f)
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            plain.run(None, f)
            times.append(time.perf_counter() - start)
        print(f"  {chars:4d} chars, {f['input_ids'].shape[1]:3d} word pieces: "
              f"{statistics.median(times) * 1000:6.2f} ms")

    with tempfile.TemporaryDirectory() as tmp:
        sess = session(tmp)
        f = feeds(sess, _TEXT[:args.chars])
        for _ in range(args.runs):
            sess.run(None, f)
        with open(sess.end_profiling(), encoding="utf-8") as fh:
            events = json.load(fh)
    total: collections.Counter[str] = collections.Counter()
    calls: collections.Counter[str] = collections.Counter()
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            total[e["args"]["op_name"]] += e["dur"]
            calls[e["args"]["op_name"]] += 1
    print(f"\nper operator type, {args.chars} chars ({f['input_ids'].shape[1]} word pieces), "
          "mean ms per run:")
    for op, us in total.most_common(12):
        print(f"  {op:28s} {us / args.runs / 1000:6.3f} ms  ({calls[op] // args.runs} nodes)")
    print(f"  {'all operators':28s} {sum(total.values()) / args.runs / 1000:6.3f} ms")


if __name__ == "__main__":
    main()
