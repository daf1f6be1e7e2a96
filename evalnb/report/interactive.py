"""The interactive form of the report: Vega-Lite charts embedded with vega-embed, fully offline.

The JavaScript is vl-convert's own bundle (vega, vega-lite, vega-embed, vega-tooltip), inlined in
one ``<script>`` whose SHA-256 is the only script the page's CSP allows (no ``'unsafe-inline'``,
no ``'unsafe-eval'``: vega-embed runs with ``ast: true``, so expressions go through vega's
interpreter instead of ``new Function``). The charts' specs, which hold model text, are a
``<script type="application/json">`` data block (never executed) with ``<``, ``>``, ``&`` and the
JavaScript line separators written as ``\\uXXXX`` escapes, so no text can close the block
(docs/threat-model.md R04). Nothing is fetched: ``connect-src 'none'``, and the charts' data are
inline values.
"""
from __future__ import annotations

import base64
import copy
import functools
import hashlib
import json
from typing import Any, Sequence

# Renders every chart placeholder from the data block, and makes table headers sort their column.
BOOTSTRAP = r"""
(function () {
  "use strict";
  var data = document.getElementById("evalnb-specs");
  var specs = data ? JSON.parse(data.textContent) : [];
  var opts = {ast: true, actions: false, defaultStyle: false, renderer: "svg",
              tooltip: {disableDefaultStyle: true}};
  document.querySelectorAll("div.evalnb-chart[data-spec]").forEach(function (el) {
    var spec = specs[Number(el.getAttribute("data-spec"))];
    window.vegaEmbed(el, spec, opts).then(function () {
      el.setAttribute("data-rendered", "ok");
    }).catch(function (err) {
      el.textContent = "chart not rendered: " + err;
      el.setAttribute("data-rendered", "error");
    });
  });
  function key(cell) {
    var t = cell.textContent.trim(), n = parseFloat(t);
    return isNaN(n) || !/^[-+.\d]/.test(t) ? t.toLowerCase() : n;
  }
  document.querySelectorAll("table.evalnb-table").forEach(function (table) {
    var head = table.tHead, body = table.tBodies[0];
    if (!head || !body || !head.rows.length) return;
    var row = head.rows[head.rows.length - 1];
    Array.prototype.forEach.call(row.cells, function (th, col) {
      th.classList.add("sortable");
      th.title = "sort by this column";
      th.addEventListener("click", function () {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(row.cells, function (c) { c.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col] ? key(a.cells[col]) : "", y = b.cells[col] ? key(b.cells[col]) : "";
          if (typeof x !== typeof y) { x = String(x); y = String(y); }
          return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
})();
"""


@functools.lru_cache(maxsize=1)
def bundle() -> str:
    """vl-convert's offline bundle of vega, vega-lite and vega-embed (built once per process).

    >>> "vegaEmbed" in bundle() and "</script" not in bundle().lower()
    True
    """
    import vl_convert as vlc

    text = vlc.javascript_bundle()
    low = text.lower()
    if "</script" in low or "<!--" in low or "<script" in low:   # not in vl-convert's bundle; never emit a broken page
        raise RuntimeError("vl-convert's JavaScript bundle contains '<script', '</script' or '<!--': cannot inline it")
    return text


def script() -> str:
    """The one inline script: the bundle, then the bootstrap that embeds the charts."""
    return bundle() + "\n" + BOOTSTRAP


def sha256_source(text: str) -> str:
    """A CSP hash source for an inline block.

    >>> sha256_source("")
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
    """
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def csp(style: str, script_text: str) -> str:
    """The interactive form's CSP: our style and our one script by hash; no request of any kind."""
    return ("default-src 'none'; img-src data:; style-src " + sha256_source(style) + "; "
            "script-src " + sha256_source(script_text) + "; object-src 'none'; frame-src 'none'; "
            "connect-src 'none'; worker-src 'none'; font-src 'none'; media-src 'none'; base-uri 'none'; "
            "form-action 'none'")


def script_json(value: Any) -> str:
    """JSON safe inside a ``<script type="application/json">`` block: no ``<``, ``>``, ``&``,
    U+2028/U+2029 or non-ASCII character appears literally, so no text can end the block.

    >>> script_json({"t": "</script><b>&"})
    '{"t": "\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e\\\\u0026"}'
    >>> json.loads(script_json({"t": "</script>"}))["t"]
    '</script>'
    """
    text = json.dumps(value, ensure_ascii=True, allow_nan=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


COMPOSITE = ("", "errorbar", "errorband", "boxplot")


def with_zoom(spec: dict) -> dict:
    """The spec with pan/zoom (an interval selection bound to the scales) on its first single view;
    specs with nothing to bind (facets, concatenations, charts already bound) come back unchanged.

    >>> z = with_zoom({"mark": "point", "encoding": {"x": {"field": "a", "type": "quantitative"}}})
    >>> z["params"][0]["bind"], z["params"][0]["select"]["type"]
    ('scales', 'interval')
    """
    spec = copy.deepcopy(spec)
    def mark(view: dict) -> str:
        m = view.get("mark", "")
        return m.get("type", "") if isinstance(m, dict) else str(m)

    target = spec
    if spec.get("layer"):   # the first layer that takes a selection (Vega-Lite: not errorbar/band/boxplot)
        views = [v for v in spec["layer"] if isinstance(v, dict) and mark(v) not in COMPOSITE]
        target = views[0] if views else {}
    if mark(target) in COMPOSITE or any(k in spec for k in ("facet", "concat", "hconcat", "vconcat", "repeat")):
        return spec
    params = target.setdefault("params", [])
    if any(isinstance(p, dict) and p.get("bind") == "scales" for p in params):
        return spec
    enc = target.get("encoding", {})
    quantitative = [c for c in ("x", "y") if isinstance(enc.get(c), dict) and enc[c].get("type") in ("quantitative", "temporal")]
    if not quantitative:
        return spec
    params.append({"name": "evalnb_zoom", "select": {"type": "interval", "encodings": quantitative},
                   "bind": "scales"})
    return spec


def specs_for(charts: Sequence[dict]) -> list[dict]:
    """The embedded specs, zoom added, in chart order (``chart["index"]`` points into this list)."""
    out = []
    for c in charts:
        c["index"] = len(out)
        spec = with_zoom(c["spec"])
        spec.setdefault("description", c["alt"])   # vega-embed uses it as the chart's aria-label
        out.append(spec)
    return out
