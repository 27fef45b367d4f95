"""Training and corpus building of the optimizer's context detector (``optimizer/detect.py``)."""
