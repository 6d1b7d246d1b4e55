"""Filling a callable's parameters from a request: plans built once, solved per request.

One concept per module:

- ``markers``: ``Depends``;
- ``call_styles``: how a callable runs (async, sync, async/sync generator);
- ``introspection``: reading annotations (optionals, sequences, body types, uploads);
- ``plans``: ``Plan``/``Input``/``Dependency``, computed when the route table is built,
  with the reader of each input chosen there;
- ``readers`` and ``bodies``: reading one input (without I/O; the JSON body and forms);
- ``solver``: ``Solver`` (one per request) and ``Overrides``;
- ``cleanup``: background tasks and generator dependencies after the response.
"""

from orionis.dependencies.call_styles import CallStyle, call_style
from orionis.dependencies.introspection import unwrap_optional
from orionis.dependencies.markers import Depends
from orionis.dependencies.plans import Dependency, Input, Plan
from orionis.dependencies.solver import Overrides, Solver

__all__ = [
    "CallStyle",
    "Dependency",
    "Depends",
    "Input",
    "Overrides",
    "Plan",
    "Solver",
    "call_style",
    "unwrap_optional",
]
