"""Static, offline, script-free HTML reports (``evalnb.report(...)``) and notebook HTML export.

``evalnb.report`` is both this package and the function :func:`evalnb.report.html.report`: once
any submodule is imported, Python binds the package object to ``evalnb.report`` (shadowing the
lazy function), so the package itself is made callable and forwards to the function.
"""
from __future__ import annotations

import sys
import types
from typing import Any


class _CallablePackage(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from .html import report

        return report(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
