"""Test helpers shipped with evalnb: a local OpenAI-compatible judge server with injectable faults.

>>> from evalnb.testing import FakeOpenAI, Faults
>>> with FakeOpenAI(Faults(latency=0.01)) as server:     # doctest: +SKIP
...     print(server.base_url)
"""
from __future__ import annotations

from .fake_openai import REPLY_FAULTS, FakeOpenAI, Faults, fetch_stats

__all__ = ["FakeOpenAI", "Faults", "REPLY_FAULTS", "fetch_stats"]
