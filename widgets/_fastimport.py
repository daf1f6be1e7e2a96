"""Keep ``import altair`` from costing seconds.

Altair imports jsonschema, whose format module imports ``rfc3987_syntax`` when installed (Jupyter's
``jsonschema[format-nongpl]`` brings it); that package compiles ~40 lark grammars at import: 3.5 s on
this machine, more under load -- longer than the whole Explorer start. evalnb validates no IRI
formats, so when jsonschema is not imported yet it is imported here with ``rfc3987_syntax`` hidden
(jsonschema then skips only its ``iri``/``iri-reference`` format checks); the package itself stays
importable afterwards.
"""
from __future__ import annotations

import sys

if "jsonschema" not in sys.modules and "rfc3987_syntax" not in sys.modules:
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]
    try:
        import jsonschema  # noqa: F401
    except ImportError:
        pass
    finally:
        if sys.modules.get("rfc3987_syntax", 0) is None:
            del sys.modules["rfc3987_syntax"]
