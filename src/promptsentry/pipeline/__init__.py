"""The scan pipeline: normalise → signature rules → classifier → leak check → verdict.

Stages are small units sharing one async interface (:class:`~promptsentry.pipeline.base.Stage`);
each declares how it fails (open or closed) and is timed by the runner. Stages read the
immutable :class:`~promptsentry.pipeline.base.ScanState` and return a
:class:`~promptsentry.pipeline.base.StageResult`; they never do I/O on records, strikes or
incidents — those side effects happen after the verdict, at the edges.
"""
