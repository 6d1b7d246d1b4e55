"""Any benchmark app with the cyclic GC turned off: what the collector costs it under load.

``GC_OFF_TARGET=apps.orionis_app:app`` names the app; served as ``apps.gc_off:app``. A
measuring probe only (``worker_cpu.py``): with the GC off, a reference cycle would leak.
"""

from __future__ import annotations

import gc
import importlib
import os

_module, _, _attr = os.environ["GC_OFF_TARGET"].partition(":")
app = getattr(importlib.import_module(_module), _attr or "app")
gc.disable()
