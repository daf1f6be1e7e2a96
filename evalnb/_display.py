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

import functools
import hashlib
import html
import re
import unicodedata
from typing import Any, Callable, Iterable

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


# ---------------------------------------------------------------------------------------------
# One display rule for every result object (issue 12): ``_repr_mimebundle_`` with text/plain,
# text/markdown and escaped text/html, built from ``.summary()`` and ``.to_frame()``.
# ---------------------------------------------------------------------------------------------
DISPLAY_ROWS = 30          # rows shown in the Markdown and default HTML tables (the frame keeps all)
MARKDOWN_CELL_CHARS = 120  # longer cell text is cut with an ellipsis in Markdown

# Markdown punctuation that could start emphasis, code, links, headings, tables or escapes.
_MD_SPECIAL = re.compile(r"([\\`*{}\[\]!|~])")
# "_" opens or closes emphasis only next to a non-alphanumeric character (CommonMark flanking
# rules): "judge_relevance" stays readable, "_x_" is escaped.
_MD_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def md_escape(value: Any, max_chars: int | None = MARKDOWN_CELL_CHARS) -> str:
    """Untrusted text as inert Markdown (GFM table cell safe).

    HTML is escaped (a notebook renders raw HTML inside Markdown), Markdown punctuation is
    backslash-escaped, ``|`` cannot split a table cell, line breaks and control characters become
    spaces, invisible characters are shown as ``<U+XXXX>`` and ``@mentions`` are broken.

    >>> md_escape("<script>alert(1)</script> | *x* _y_ judge_relevance")
    '&lt;script&gt;alert(1)&lt;/script&gt; \\\\| \\\\*x\\\\* \\\\_y\\\\_ judge_relevance'
    >>> md_escape("@team #12")
    '&#64;team &#35;12'
    """
    text = reveal(text_of(value))
    text = _CONTROL.sub(" ", text)
    if max_chars is not None and len(text) > max_chars:
        text = text[:max_chars - 1] + "\u2026"
    text = html.escape(text, quote=False)          # &, <, > first: the escapes below add no markup
    text = _MD_UNDERSCORE.sub(r"\\_", _MD_SPECIAL.sub(r"\\\1", text))
    return text.replace("#", "&#35;").replace("@", "&#64;")   # no #refs or @mentions on GitHub


def plain_text(text: str) -> str:
    """Terminal-safe text: control characters other than newline and tab (ESC, CR, C1, line
    separators) are shown as escapes, so data cannot rewrite a terminal or a CI log line.

    >>> plain_text("ok\\x1b[2Jgone")
    'ok\\\\x1b[2Jgone'
    """
    return re.sub("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]",
                  lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _is_number(v: Any) -> bool:
    import numbers

    return isinstance(v, numbers.Number) and not isinstance(v, (bool,)) and type(v).__name__ != "bool_"


def number_text(v: Any) -> str:
    """A number for a table: integers with thousands separators, 4 significant digits otherwise,
    never an exponent for values between 1e-3 and 1e15; NaN is empty.

    >>> [number_text(x) for x in (9600, 1593.42, 0.41537, 0.0000123, float("nan"), 3.0)]
    ['9,600', '1,593.4', '0.4154', '1.23e-05', '', '3']
    """
    f = float(v)
    if f != f:
        return ""
    if f in (float("inf"), float("-inf")):
        return "inf" if f > 0 else "-inf"
    if f == int(f) and abs(f) < 1e15:
        return f"{int(f):,}"
    a = abs(f)
    if a >= 1e3:
        return f"{f:,.1f}"
    if a < 1e-3:
        return f"{f:.3g}"
    return f"{f:.4g}"


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame a result shows: a meaningful index becomes leading columns."""
    if not isinstance(frame.index, pd.RangeIndex) or any(n is not None for n in frame.index.names):
        frame = frame.reset_index()
    return frame


def markdown_table(frame: pd.DataFrame, max_rows: int | None = DISPLAY_ROWS) -> str:
    """A GFM pipe table of ``frame`` (every header and cell escaped with :func:`md_escape`,
    numbers right-aligned), cut to ``max_rows`` with a line saying how many rows were left out.

    >>> print(markdown_table(pd.DataFrame({"model": ["a|b"], "score": [0.5]})))
    | model | score |
    |---|---:|
    | a\\|b | 0.5 |
    """
    frame = _shown(frame)
    if frame.shape[1] == 0:
        return "_(no columns)_"
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
               for c in frame.columns]
    head = "| " + " | ".join(md_escape(c) or " " for c in frame.columns) + " |"
    rule = "|" + "|".join("---:" if n else "---" for n in numeric) + "|"
    shown = frame if max_rows is None else frame.head(max_rows)
    lines = [head, rule]
    for row in shown.itertuples(index=False, name=None):
        cells = [number_text(v) if _is_number(v) else md_escape(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    if not len(frame):
        lines.append("| " + " | ".join("" for _ in frame.columns) + " |")
    if len(shown) < len(frame):
        lines += ["", f"_{len(frame) - len(shown):,} more rows not shown ({len(frame):,} in all; `.to_frame()` has every row)._"]
    return "\n".join(lines)


SUMMARY_MAX_CHARS = 100_000   # a summary's HTML view cuts longer text (with the length-and-hash marker)


class SummaryText(str):
    """What every ``.summary()`` returns: the text itself (a ``str``), with an HTML view.

    In statsmodels' ``Summary`` style: :meth:`as_text` is the plain text, :meth:`as_html` (also
    ``_repr_html_``) is the title in bold and either the text's tables (``tables``) as HTML
    tables or the rest of the text in a ``<pre>``; every string is escaped with :func:`escape` /
    :func:`frame_html` (invisible characters shown as ``<U+XXXX>`` badges). ``repr`` shows the
    text itself, control characters escaped (:func:`plain_text`), so a notebook cell or a
    terminal shows it readably. Being a ``str``, it compares, searches and prints as before.

    Parameters
    ----------
    text : the summary text.
    title : the heading of the HTML view (default: the first non-blank line of ``text``).
    tables : the DataFrames the text shows, in order (statsmodels' ``Summary.tables``).

    >>> s = SummaryText("2 models\\nbest: <b>a</b>")
    >>> s == "2 models\\nbest: <b>a</b>", s.title, s.tables
    (True, '2 models', [])
    >>> s
    2 models
    best: <b>a</b>
    >>> s.as_html()
    '<div class="evalnb-summary"><p><b>2 models</b></p><pre>best: &lt;b&gt;a&lt;/b&gt;</pre></div>'
    """

    title: str
    tables: list[pd.DataFrame]

    def __new__(cls, text: str = "", title: str | None = None,
                tables: Iterable[pd.DataFrame] = ()) -> "SummaryText":
        self = super().__new__(cls, text)
        self.title = _first_line(text) if title is None else title
        self.tables = list(tables)
        return self

    def as_text(self) -> str:
        """The plain text (an ordinary ``str``)."""
        return str.__str__(self)

    def as_html(self) -> str:
        """Escaped HTML: the title in bold, then the tables (or the text after the title)."""
        text = self.as_text()
        title = f"<p><b>{escape(self.title, max_chars=None)}</b></p>" if self.title else ""
        if self.tables:
            body = "".join(frame_html(_shown(t).head(DISPLAY_ROWS)) for t in self.tables)
        else:
            if self.title and self.title == _first_line(text):
                text = text.strip("\n").split("\n", 1)[1] if "\n" in text.strip("\n") else ""
            body = f"<pre>{escape(text, max_chars=SUMMARY_MAX_CHARS)}</pre>" if text.strip() else ""
        return f'<div class="evalnb-summary">{title}{body}</div>'

    def _repr_html_(self) -> str:
        return self.as_html()

    def __repr__(self) -> str:
        return plain_text(self.as_text())

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:   # IPython's text/plain
        p.text(repr(self))


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def summary_text(method: Callable[..., Any]) -> Callable[..., SummaryText]:
    """Make a ``summary`` method return :class:`SummaryText` (the one place that decides it).

    :class:`ResultDisplay` applies it to every subclass's ``summary``; a result that is not a
    ``ResultDisplay`` decorates its ``summary`` with it.
    """
    if getattr(method, "_returns_summary_text", False):
        return method

    @functools.wraps(method)
    def summary(self: Any, *args: Any, **kwargs: Any) -> SummaryText:
        out = method(self, *args, **kwargs)
        if isinstance(out, SummaryText):
            return out
        if not isinstance(out, str):
            raise TypeError(f"{type(self).__name__}.summary() returned {type(out).__name__}; a summary is text")
        return SummaryText(out)

    summary._returns_summary_text = True  # type: ignore[attr-defined]
    return summary


class ResultDisplay:
    """Mixin: how every result object shows itself (Jupyter, GitHub, terminals).

    A subclass's ``summary()`` always returns :class:`SummaryText` (wrapped by :func:`summary_text`
    when the class is made).

    ``_repr_mimebundle_`` returns

    * ``text/plain``: ``.summary()``;
    * ``text/markdown``: the result's own ``.to_markdown()`` when it has one, else the first line
      of the summary in bold and a pipe table of ``.to_frame()`` (:func:`markdown_table`; a
      dataclass without ``to_frame`` shows its scalar fields as one row);
    * ``text/html``: the result's own ``_repr_html_`` when it has one, else the same title and
      table, escaped (:func:`frame_html`).

    Every form escapes the text that came from data. ``include``/``exclude`` (sets of MIME
    types, as IPython passes them) are honoured and only the asked-for forms are built.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("summary")
        if callable(own):
            cls.summary = summary_text(own)  # type: ignore[attr-defined]

    def _display_frame(self) -> pd.DataFrame:
        if hasattr(self, "to_frame"):
            return self.to_frame()
        summary = self.summary()  # type: ignore[attr-defined]
        if getattr(summary, "tables", None):   # a summary that carries its table (Runs)
            return summary.tables[0]
        import dataclasses

        if dataclasses.is_dataclass(self):    # a small result without a table: its scalar fields, one row
            row = {f.name: ", ".join(map(text_of, v)) if isinstance(v, (tuple, list)) else v
                   for f in dataclasses.fields(self) if f.repr
                   for v in [getattr(self, f.name)] if v is None or isinstance(v, (str, int, float, tuple, list))}
            return pd.DataFrame([row])
        return pd.DataFrame()

    def _display_text(self) -> str:
        summary = self.summary() if hasattr(self, "summary") else None  # type: ignore[attr-defined]
        if not isinstance(summary, str):
            summary = type(self).__name__ + "\n" + self._display_frame().to_string(index=False)
        return plain_text(summary)

    def _display_title(self) -> str:
        text = self._display_text().strip()
        return text.splitlines()[0] if text else type(self).__name__

    def _display_markdown(self) -> str:
        own = getattr(self, "to_markdown", None)
        if callable(own):
            return own()
        return f"**{md_escape(self._display_title(), max_chars=None)}**\n\n{markdown_table(self._display_frame())}\n"

    def _display_html(self) -> str:
        if type(self)._repr_html_ is not ResultDisplay._repr_html_:
            return self._repr_html_()
        frame = _shown(self._display_frame())
        more = (f'<p class="evalnb-more">{len(frame) - DISPLAY_ROWS:,} more rows not shown '
                f"({len(frame):,} in all; <code>.to_frame()</code> has every row).</p>"
                if len(frame) > DISPLAY_ROWS else "")
        return f"<p><b>{escape(self._display_title())}</b></p>" + frame_html(frame.head(DISPLAY_ROWS)) + more

    def _repr_html_(self) -> str:
        return self._display_html()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        makers = {"text/plain": self._display_text, "text/markdown": self._display_markdown,
                  "text/html": self._display_html}
        wanted = [m for m in makers if (not include or m in include) and not (exclude and m in exclude)]
        return {m: makers[m]() for m in wanted}
