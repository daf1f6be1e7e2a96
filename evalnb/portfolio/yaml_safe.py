"""Hardened YAML reading for configs.

``yaml.safe_load`` alone is not enough for a file that arrives through a pull request:

* a 271-byte "billion laughs" document expands to tens of millions of nodes, so the document is
  *composed* first (aliases stay shared references) and its expanded size and alias count are
  checked before any Python object is constructed;
* size is capped in bytes before parsing;
* duplicate keys are an error (PyYAML silently keeps the last one);
* YAML 1.1 turns unquoted ``NO``/``on``/``yes`` into booleans, ``1.10`` into the float 1.1 and
  ``2026-01-01`` into a date. Every such implicit conversion is recorded with its path and original
  text so that a validator can say "quote it" where a string was expected. The YAML 1.1-only
  boolean spellings (yes/no/on/off/y/n in any case) are rejected outright: configs write ``true``
  and ``false``. So are the YAML 1.1-only number forms, which YAML 1.2 and most other tools read
  differently: octal ``010`` (8), base-60 ``1:30`` (90), hex ``0x1F``, binary ``0b101`` and digit
  separators ``1_000``;
* nesting is capped (``MAX_DEPTH`` levels) before anything is composed: a 4 KB ``[[[[...]]]]``
  took PyYAML 7-10 s and then a RecursionError. JSON configs get the same cap
  (:func:`check_json_depth`) before ``json.loads``.

>>> doc = load_document("version: 1.10\\nthreshold: 0.8\\n")
>>> doc.data, [(c.path, c.text) for c in doc.coercions]
({'version': 1.1, 'threshold': 0.8}, [(('version',), '1.10'), (('threshold',), '0.8')])
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from .._errors import ConfigError

MAX_BYTES = 1_000_000      # a portfolio config is a few KB; 1 MB leaves room for long provenance
MAX_ALIASES = 100
MAX_NODES = 100_000        # expanded node count (aliases counted as copies)
MAX_DEPTH = 32             # nesting levels; a portfolio config uses 8 (roles > spec > gate > slices > overrides)
_DECIMAL_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_BOOL_OK = {"true", "false", "True", "False", "TRUE", "FALSE"}


@dataclass(frozen=True)
class Coercion:
    """One plain (unquoted) scalar that YAML turned into a non-string value."""

    path: tuple[Any, ...]
    text: str
    value: Any
    line: int

    @property
    def kind(self) -> str:
        return type(self.value).__name__

    def hint(self) -> str:
        if isinstance(self.value, str):
            return (f"YAML 1.1 reads the unquoted {self.text!r} (line {self.line}) as text, not a number "
                    "(its floats need a dot, e.g. 1.0e-3); write it as a decimal such as 0.001")
        shown = "null" if self.value is None else repr(self.value)
        return (f"YAML read the unquoted {self.text!r} (line {self.line}) as the {self.kind} {shown}; "
                f"quote it ('{self.text}') if you meant the text")


@dataclass(frozen=True)
class YamlDocument:
    """Parsed data plus the implicit conversions YAML made on the way."""

    data: Any
    coercions: tuple[Coercion, ...] = field(default_factory=tuple)

    def coercion_at(self, path: tuple[Any, ...]) -> Coercion | None:
        for c in self.coercions:
            if c.path == tuple(path):
                return c
        return None


class _Loader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys and records implicit scalar conversions."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.coercions: list[Coercion] = []
        self._path: list[Any] = []

    def construct_document(self, node):  # track paths while constructing
        return self._walk(node)

    def _walk(self, node: yaml.Node) -> Any:
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _PLAIN_TAGS:
            # e.g. !!python/object/apply:os.system: let SafeLoader refuse it (ConstructorError)
            return self.construct_object(node, deep=True) if node.tag.startswith("tag:yaml.org,2002:python") \
                else self._refuse(node)
        if isinstance(node, yaml.MappingNode):
            self.flatten_mapping(node)
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self._walk(key_node)
                if not isinstance(key, (str, int, float, bool)) and key is not None:
                    raise ConfigError(f"line {key_node.start_mark.line + 1}: mapping keys must be plain scalars")
                if key in out:
                    raise ConfigError(f"line {key_node.start_mark.line + 1}: duplicate key {key!r} at "
                                      f"{_show_path(self._path) or 'top level'}; each key may appear once")
                self._path.append(key)
                out[key] = self._walk(value_node)
                self._path.pop()
            return out
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, child in enumerate(node.value):
                self._path.append(index)
                items.append(self._walk(child))
                self._path.pop()
            return items
        value = self.construct_object(node, deep=True)
        if isinstance(node, yaml.ScalarNode) and node.style is None and node.tag != "tag:yaml.org,2002:str":
            line = node.start_mark.line + 1
            if isinstance(value, bool) and node.value not in _BOOL_OK:
                raise ConfigError(
                    f"line {line}: {_show_path(self._path) or 'value'}: {node.value!r} is a YAML 1.1 boolean "
                    f"({value}); write true or false, or quote it ('{node.value}') if you meant the text")
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                _check_number(node.value, value, line, _show_path(self._path) or "value")
            if not isinstance(value, str) or _looks_number(value):
                self.coercions.append(Coercion(tuple(self._path), node.value, value, line))
        return value


def _check_number(text: str, value: int | float, line: int, where: str) -> None:
    """Refuse the YAML 1.1-only number spellings; YAML 1.2 (and JSON, and most tools) read them otherwise."""
    if isinstance(value, int) and _DECIMAL_INT.fullmatch(text):
        return
    if isinstance(value, float) and ":" not in text and "_" not in text:
        return
    plain = text.lstrip("+-")
    if ":" in text:
        kind = "base-60 (sexagesimal) number"
    elif "_" in text:
        kind = "number with '_' digit separators"
    elif plain[:2].lower() == "0x":
        kind = "hexadecimal integer"
    elif plain[:2].lower() == "0b":
        kind = "binary integer"
    else:
        kind = "octal integer (a leading zero)"
    raise ConfigError(f"line {line}: {where}: the unquoted {text!r} is a YAML 1.1 {kind}, read as {value!r}; "
                      f"YAML 1.2 and other tools read it differently, so it is refused. Write the decimal number "
                      f"({value!r}), or quote it ('{text}') if you meant the text")


def _refuse_tag(loader: "_Loader", node: yaml.Node) -> Any:
    raise yaml.constructor.ConstructorError(None, None, f"tag {node.tag!r} is not allowed in a config", node.start_mark)


_Loader._refuse = _refuse_tag
_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


def _show_path(path: list[Any] | tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _expanded_size(node: yaml.Node, memo: dict[int, int], limit: int) -> int:
    """Node count with every alias expanded; memoised so the check itself stays linear."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = 1  # guards against recursive aliases
    total = 1
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            total += _expanded_size(k, memo, limit) + _expanded_size(v, memo, limit)
            if total > limit:
                break
    elif isinstance(node, yaml.SequenceNode):
        for v in node.value:
            total += _expanded_size(v, memo, limit)
            if total > limit:
                break
    memo[key] = total
    return total


def load_document(text: str | bytes, *, source: str = "<config>", max_bytes: int = MAX_BYTES,
                  max_aliases: int = MAX_ALIASES, max_nodes: int = MAX_NODES,
                  max_depth: int = MAX_DEPTH) -> YamlDocument:
    """Parse one YAML document safely and return its data with the implicit conversions made.

    Raises :class:`ConfigError` for oversize input, nesting deeper than ``max_depth``, too many
    aliases, an alias expansion over ``max_nodes``, duplicate keys, YAML 1.1-only booleans and
    numbers (``010``, ``1:30``, ``0x1F``) and any tag outside the safe schema (``!!python/object``
    and friends are never constructed).

    >>> load_document("a: 1").data
    {'a': 1}
    """
    raw = text.encode("utf-8") if isinstance(text, str) else text
    if len(raw) > max_bytes:
        raise ConfigError(f"{source}: {len(raw):,} bytes is over the {max_bytes:,}-byte limit for a config; "
                          "a portfolio config is a few KB (pass max_bytes= to raise the limit)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{source}: not UTF-8 (byte {exc.start})") from None
    # Count aliases and nesting from the event stream: cheap, nothing is built yet, and it stops at
    # the first level over the cap (PyYAML's scanner slows down with every open level).
    aliases = depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > max_depth:
                    line = event.start_mark.line + 1
                    raise ConfigError(f"{source}: line {line}: nesting deeper than {max_depth} levels; a config "
                                      f"needs far fewer (pass max_depth= to raise the limit)")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            elif isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > max_aliases:
                    raise ConfigError(f"{source}: more than {max_aliases} YAML aliases (*ref); refusing a "
                                      "possible alias bomb. Write the values out in full.")
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: invalid YAML: {exc}") from None
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(None, ())
        size = _expanded_size(node, {}, max_nodes)
        if size > max_nodes:
            raise ConfigError(f"{source}: the document expands to more than {max_nodes:,} nodes through its "
                              "aliases; refusing a possible alias bomb")
        data = loader.construct_document(node)
    except yaml.constructor.ConstructorError as exc:
        raise ConfigError(f"{source}: unsafe or unknown YAML tag refused: {exc.problem} "
                          f"({exc.problem_mark}). Configs hold plain data only.") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: invalid YAML: {exc}") from None
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    finally:
        loader.dispose()
    return YamlDocument(data, tuple(loader.coercions))


def safe_load(text: str | bytes, **kwargs: Any) -> Any:
    """:func:`load_document` returning only the data.

    >>> safe_load("threshold: 0.8")
    {'threshold': 0.8}
    """
    return load_document(text, **kwargs).data


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')   # "unrolled loop": linear, no per-char alternation


def check_json_depth(text: str, *, source: str = "<config>", max_depth: int = MAX_DEPTH) -> None:
    """Refuse JSON nested deeper than ``max_depth`` before ``json.loads`` sees it.

    ``json.loads`` recurses per level: a deep document ends in a RecursionError (a traceback, not
    a message). Brackets inside strings are not counted.

    >>> check_json_depth('{"a": [[1]]}', max_depth=3)
    >>> check_json_depth('[[[[1]]]]', max_depth=3)
    Traceback (most recent call last):
    ...
    evalnb._errors.ConfigError: <config>: JSON nested deeper than 3 levels (at character 3); a config needs far fewer (pass max_depth= to raise the limit)
    """
    import numpy as np

    bare = _JSON_STRING.sub(lambda m: '""'.ljust(len(m.group(0))), text)  # same length: offsets stay true
    # UTF-8 bytes: brackets are ASCII, and no byte of a multi-byte character equals an ASCII one
    raw = bare.encode("utf-8")
    codes = np.frombuffer(raw, dtype=np.uint8)
    steps = ((codes == 91) | (codes == 123)).astype(np.int32) - ((codes == 93) | (codes == 125))
    depth = np.cumsum(steps)
    if len(depth) and depth.max() > max_depth:
        at = len(raw[:int(np.argmax(depth > max_depth))].decode("utf-8", "ignore"))
        raise ConfigError(f"{source}: JSON nested deeper than {max_depth} levels (at character {at}); a config "
                          "needs far fewer (pass max_depth= to raise the limit)")


def _looks_number(text: str) -> bool:
    try:
        float(text.replace("_", ""))
    except ValueError:
        return False
    return text.strip().lower() not in {"nan", "inf", "-inf", "+inf", "infinity", "-infinity"}


def is_date_like(value: Any) -> bool:
    return isinstance(value, (_dt.date, _dt.datetime))
