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
  and ``false``.

>>> doc = load_document("version: 1.10\\nthreshold: 0.8\\n")
>>> doc.data, [(c.path, c.text) for c in doc.coercions]
({'version': 1.1, 'threshold': 0.8}, [(('version',), '1.10'), (('threshold',), '0.8')])
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

import yaml

from .._errors import ConfigError

MAX_BYTES = 1_000_000      # a portfolio config is a few KB; 1 MB leaves room for long provenance
MAX_ALIASES = 100
MAX_NODES = 100_000        # expanded node count (aliases counted as copies)
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
            if not isinstance(value, str) or _looks_number(value):
                self.coercions.append(Coercion(tuple(self._path), node.value, value, line))
        return value


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
                  max_aliases: int = MAX_ALIASES, max_nodes: int = MAX_NODES) -> YamlDocument:
    """Parse one YAML document safely and return its data with the implicit conversions made.

    Raises :class:`ConfigError` for oversize input, too many aliases, an alias expansion over
    ``max_nodes``, duplicate keys, YAML 1.1-only booleans and any tag outside the safe schema
    (``!!python/object`` and friends are never constructed).

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
    # Count aliases from the event stream: cheap, and nothing is built yet.
    aliases = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
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


def _looks_number(text: str) -> bool:
    try:
        float(text.replace("_", ""))
    except ValueError:
        return False
    return text.strip().lower() not in {"nan", "inf", "-inf", "+inf", "infinity", "-infinity"}


def is_date_like(value: Any) -> bool:
    return isinstance(value, (_dt.date, _dt.datetime))
