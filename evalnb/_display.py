"""Safe display of untrusted text (model outputs, model names, inputs) as HTML or plain text.

In a live notebook the kernel's HTML output is trusted and runs scripts (docs/threat-model.md design rule
4), so every string that came from data goes through :func:`escape` (or :func:`frame_html` for
tables) before it is shown. Invisible characters that change how text reads -- bidi overrides,
zero-width characters, lone surrogates, control characters -- are shown as visible badges
(``<U+202E>``) while the raw value stays in the data (case R09). Huge strings are cut with a
marker that carries the length and a SHA-256 of the full text (case R11).

>>> escape("<script>alert(1)</script>")
'&lt;script&gt;alert(1)&lt;/script&gt;'
>>> reveal("abc\\u202edef")
'abc<U+202E>def'
"""
from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from typing import Any, Iterable

import pandas as pd

DEFAULT_MAX_CHARS = 2_000

# Bidi controls, zero-width and other invisible format characters, C0/C1 controls except \t \n,
# and lone surrogates (U+D800-U+DFFF can exist in a Python str read with surrogatepass).
_INVISIBLE = re.compile(
    "[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb"
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]"
)


def _name(ch: str) -> str:
    code = ord(ch)
    if 0xD800 <= code <= 0xDFFF:
        return "lone surrogate"
    return unicodedata.name(ch, "control character").lower()


def text_of(value: Any) -> str:
    """A display string for any cell: lists are joined, None/NaN become an empty string."""
    if value is None:
        return ""
    if isinstance(value, float) and value != value:
        return ""
    if isinstance(value, (list, tuple)):
        return " | ".join(text_of(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{text_of(k)}: {text_of(v)}" for k, v in value.items())
    if hasattr(value, "tolist") and not isinstance(value, str):
        return text_of(value.tolist())
    return str(value)


def digest(text: str) -> str:
    """SHA-256 (hex) of the full text, surrogates kept byte-for-byte."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def truncate(text: str, max_chars: int | None = DEFAULT_MAX_CHARS) -> tuple[str, str | None]:
    """Cut ``text`` to ``max_chars``; return (shown part, marker or None).

    The marker names the full length and the SHA-256 of the full text so a reader can check
    which text was cut (the raw value stays in the data).
    """
    if max_chars is None or len(text) <= max_chars:
        return text, None
    return text[:max_chars], f"[truncated: {len(text):,} chars in total, sha256 {digest(text)[:16]}]"


def reveal(text: str) -> str:
    """Plain text with invisible/bidi/control characters replaced by ``<U+XXXX>``."""
    return _INVISIBLE.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)


def has_hidden(text: str) -> bool:
    """True when the text holds bidi, zero-width, control characters or lone surrogates."""
    return bool(_INVISIBLE.search(text))


def escape(value: Any, max_chars: int | None = DEFAULT_MAX_CHARS, badges: bool = True) -> str:
    """HTML-escaped text, invisible characters as visible badges, long text truncated.

    Parameters
    ----------
    value : any cell value (str, number, list, None).
    max_chars : cut longer text and append a marker with length and hash (None: never cut).
    badges : show bidi/zero-width/control characters as ``<U+XXXX>`` badges (R09).

    >>> escape('"><svg onload=alert(1)>')
    '&quot;&gt;&lt;svg onload=alert(1)&gt;'
    """
    text, marker = truncate(text_of(value), max_chars)
    if badges and has_hidden(text):
        out, last = [], 0
        for m in _INVISIBLE.finditer(text):
            out.append(html.escape(text[last:m.start()]))
            ch = m.group()
            out.append(f'<span class="evalnb-hidden" title="{html.escape(_name(ch))}">'
                       f"&lt;U+{ord(ch):04X}&gt;</span>")
            last = m.end()
        out.append(html.escape(text[last:]))
        shown = "".join(out)
    else:
        shown = html.escape(text.encode("utf-8", "replace").decode("utf-8") if has_hidden(text) else text)
    if marker:
        shown += f' <span class="evalnb-truncated">{html.escape(marker)}</span>'
    return shown


def frame_html(df: pd.DataFrame, max_chars: int | None = 300, index: bool = False,
               float_format: str = "{:.3f}", classes: str = "evalnb-table",
               caption: str | None = None) -> str:
    """An HTML table of ``df`` with every header and cell escaped (R03: no raw markup from data).

    >>> frame_html(pd.DataFrame({"model": ["<b>x</b>"]}))   # doctest: +ELLIPSIS
    '<table class="evalnb-table">...&lt;b&gt;x&lt;/b&gt;...'
    """
    cols = list(df.columns)
    head = "".join(f"<th>{escape(c, max_chars)}</th>" for c in ([df.index.name or ""] if index else []) + cols)
    rows = []
    for idx, row in zip(df.index, df.itertuples(index=False, name=None)):
        cells = [f"<th>{escape(idx, max_chars)}</th>"] if index else []
        for v in row:
            if isinstance(v, float) and v == v and not isinstance(v, bool):
                cells.append(f'<td class="num">{html.escape(float_format.format(v))}</td>')
            elif isinstance(v, (int,)) and not isinstance(v, bool):
                cells.append(f'<td class="num">{v:,}</td>')
            else:
                cells.append(f"<td>{escape(v, max_chars)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return (f'<table class="{html.escape(classes)}">{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


# Spreadsheet-safe CSV (R08) lives in the io layer: evalnb.io.spreadsheet.safe_csv / read_safe_csv.


def join_escaped(values: Iterable[Any], sep: str = ", ") -> str:
    return html.escape(sep).join(escape(v) for v in values)
