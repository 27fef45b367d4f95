"""State-backend fixtures for this folder (``tests/fixtures_state.py``)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fixtures_state import *
