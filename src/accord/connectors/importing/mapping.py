"""The column-mapping file: which column feeds which field, constants, formats, value maps and identities.

A mapping is TOML (see docs/importing.md). It is parsed once into a `Mapping`, then compiled against
a file's header into plain getter functions, so per-row work is a list index and a dict lookup.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

from accord.errors import Invalid

Getter = Callable[[list[str]], str]

_TOP_KEYS = {"kind", "source", "timezone", "currency", "region", "batch_size", "file", "fields", "identity", "values",
             "refund", "countries", "details", "attributes", "cost_ratio"}
_FILE_KEYS = {"format", "encoding", "delimiter", "quotechar"}
_FIELD_KEYS = {"column", "columns", "value", "template", "format", "pattern", "default"}
_IDENTITY_KEYS = {"kind", "column", "template", "channel", "pattern"}
_MAX_HEADER_SHOWN = 12
# Attribute keys name a fact in reviews, persona rules and the command line: short, no spaces or colons.
_ATTRIBUTE_KEY = re.compile(r"[A-Za-z0-9_.-]{1,60}")


@dataclass(frozen=True)
class FieldSpec:
    """Where one field's value comes from: column(s), a constant or a template; with its format and pattern."""

    name: str
    columns: tuple[str, ...] = ()
    value: str | None = None
    template: str | None = None
    format: str | None = None
    pattern: str | None = None
    default: str | None = None

    def referenced_columns(self) -> list[str]:
        """Every column this field reads."""
        if self.template is not None:
            return [name for _, name, _, _ in string.Formatter().parse(self.template) if name]
        return list(self.columns)


@dataclass(frozen=True)
class IdentitySpec:
    """One way the file recognises a person: an email, phone or handle column (handles on a channel)."""

    kind: str
    source: FieldSpec
    channel: str | None = None


@dataclass
class Mapping:
    """A parsed mapping file (or preset)."""

    name: str
    kind: str | None = None
    source: str = "import"
    timezone: str | None = None
    currency: str | None = None
    region: str | None = None
    batch_size: int | None = None
    cost_ratio: str | None = None
    file: dict[str, str] = field(default_factory=dict)
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    identities: list[IdentitySpec] = field(default_factory=list)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    refund: dict[str, Any] | None = None
    countries: dict[str, str] = field(default_factory=dict)
    details: dict[str, FieldSpec] = field(default_factory=dict)
    attributes: dict[str, FieldSpec] = field(default_factory=dict)

    def referenced_columns(self) -> list[str]:
        """Every column the mapping reads, in a stable order."""
        names: list[str] = []
        specs = [*self.fields.values(), *(i.source for i in self.identities), *self.details.values(),
                 *self.attributes.values()]
        for spec in specs:
            names += spec.referenced_columns()
        if self.refund and self.refund.get("column"):
            names.append(self.refund["column"])
        return list(dict.fromkeys(names))


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise Invalid("--mapping", f"{path} does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise Invalid("mapping", f"{path.name} is not valid TOML: {exc}") from None
    return parse_mapping(data, name=path.name)


def parse_mapping(data: dict[str, Any], *, name: str) -> Mapping:
    """Turn TOML data into a Mapping, refusing unknown keys and malformed entries by name."""
    _only(data, _TOP_KEYS, "mapping")
    mapping = Mapping(name=name)
    mapping.kind = _opt_str(data, "kind")
    mapping.source = _opt_str(data, "source") or "import"
    if len(mapping.source) > 60:
        raise Invalid("mapping", "source must be at most 60 characters")
    mapping.timezone = _opt_str(data, "timezone")
    mapping.currency = _opt_str(data, "currency")
    mapping.region = _opt_str(data, "region")
    if "batch_size" in data:
        size = data["batch_size"]
        if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 100_000:
            raise Invalid("mapping", "batch_size must be a whole number from 1 to 100000")
        mapping.batch_size = size
    if "cost_ratio" in data:
        mapping.cost_ratio = str(data["cost_ratio"])
    file_options = data.get("file", {})
    _only(file_options, _FILE_KEYS, "mapping [file]")
    mapping.file = {key: str(value) for key, value in file_options.items()}
    if mapping.file.get("format") not in (None, "csv", "jsonl"):
        raise Invalid("mapping", "[file] format must be csv or jsonl")
    for option in ("delimiter", "quotechar"):
        if option in mapping.file and len(mapping.file[option]) != 1:
            raise Invalid("mapping", f"[file] {option} must be one character")
    fields = data.get("fields", {})
    if not isinstance(fields, dict):
        raise Invalid("mapping", "[fields] must be a table")
    mapping.fields = {key: _field_spec(key, value) for key, value in fields.items()}
    identities = data.get("identity", [])
    if not isinstance(identities, list):
        raise Invalid("mapping", "identities are written as [[identity]] tables")
    mapping.identities = [_identity_spec(number, item) for number, item in enumerate(identities, start=1)]
    for key, table in data.get("values", {}).items():
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise Invalid("mapping", f"[values.{key}] must map source values to text")
        mapping.values[key] = dict(table)
    refund = data.get("refund")
    if refund is not None:
        _only(refund, {"column", "prefix", "values"}, "mapping [refund]")
        if "column" not in refund or ("prefix" in refund) == ("values" in refund):
            raise Invalid("mapping", "[refund] needs a column and either a prefix or a list of values")
        mapping.refund = dict(refund)
    countries = data.get("countries", {})
    if not all(isinstance(v, str) for v in countries.values()):
        raise Invalid("mapping", "[countries] must map names to ISO 3166 codes (or \"\" for none)")
    mapping.countries = dict(countries)
    mapping.details = _keyed_specs(data, "details")
    mapping.attributes = _keyed_specs(data, "attributes")
    return mapping


def _keyed_specs(data: dict[str, Any], section: str) -> dict[str, FieldSpec]:
    """A [details] or [attributes] table: attribute key → where its value comes from."""
    table = data.get(section, {})
    if not isinstance(table, dict):
        raise Invalid("mapping", f"[{section}] must be a table of attribute keys")
    for key in table:
        if not _ATTRIBUTE_KEY.fullmatch(key):
            raise Invalid("mapping", f"[{section}] key '{key}' must be 1 to 60 letters, digits, '_', '-' or '.'")
    return {key: _field_spec(f"{section}.{key}", value) for key, value in table.items()}


def _only(table: Any, allowed: set[str], where: str) -> None:
    if not isinstance(table, dict):
        raise Invalid("mapping", f"{where} must be a table")
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise Invalid("mapping", f"{where} has unknown key '{unknown[0]}' (known: {', '.join(sorted(allowed))})")


def _opt_str(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise Invalid("mapping", f"{key} must be text")
    return value


def _field_spec(name: str, raw: Any) -> FieldSpec:
    if isinstance(raw, str):
        return FieldSpec(name, columns=(raw,))
    if isinstance(raw, list) and raw and all(isinstance(c, str) for c in raw):
        return FieldSpec(name, columns=tuple(raw))
    if not isinstance(raw, dict):
        raise Invalid("mapping", f"field '{name}' must be a column name, a list of columns or a table")
    _only(raw, _FIELD_KEYS, f"mapping field '{name}'")
    sources = [key for key in ("column", "columns", "value", "template") if key in raw]
    if len(sources) != 1:
        raise Invalid("mapping", f"field '{name}' needs exactly one of column, columns, value or template")
    columns: tuple[str, ...] = ()
    if "column" in raw:
        columns = (str(raw["column"]),)
    elif "columns" in raw:
        columns = tuple(str(c) for c in raw["columns"])
    pattern = raw.get("pattern")
    if pattern is not None:
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise Invalid("mapping", f"field '{name}' has a pattern that is not a regular expression: {exc}") from None
        if compiled.groups < 1:
            raise Invalid("mapping", f"field '{name}' has a pattern without a (group) to keep")
    template = raw.get("template")
    if template is not None:
        try:
            list(string.Formatter().parse(template))
        except ValueError as exc:
            raise Invalid("mapping", f"field '{name}' has a malformed template: {exc}") from None
    return FieldSpec(
        name, columns=columns, value=None if "value" in raw and raw["value"] is None else
        (str(raw["value"]) if "value" in raw else None),
        template=template, format=raw.get("format"), pattern=pattern,
        default=str(raw["default"]) if "default" in raw else None,
    )


def _identity_spec(number: int, raw: Any) -> IdentitySpec:
    _only(raw, _IDENTITY_KEYS, f"mapping [[identity]] {number}")
    kind = raw.get("kind", "handle")
    if kind not in ("email", "phone", "handle"):
        raise Invalid("mapping", f"[[identity]] {number}: kind must be email, phone or handle, not '{kind}'")
    if ("column" in raw) == ("template" in raw):
        raise Invalid("mapping", f"[[identity]] {number} needs a column or a template")
    spec = {key: raw[key] for key in ("column", "template", "pattern") if key in raw}
    return IdentitySpec(kind, _field_spec(f"identity {number}", spec), raw.get("channel"))


def check_columns(mapping: Mapping, header: list[str]) -> None:
    """One clear error for the first column the mapping names that the file does not have."""
    present = set(header)
    for column in mapping.referenced_columns():
        if column not in present:
            shown = ", ".join(header[:_MAX_HEADER_SHOWN]) + (", …" if len(header) > _MAX_HEADER_SHOWN else "")
            raise Invalid("mapping", f"column '{column}' is not in the file's header ({shown})")


def getter(spec: FieldSpec | None, header: list[str]) -> Getter | None:
    """A function from a row's values to the field's text ('' when empty), or None for an unmapped field."""
    if spec is None:
        return None
    index = {name: position for position, name in enumerate(header)}
    get: Getter
    if spec.value is not None:
        constant = spec.value

        def get(_values: list[str]) -> str:
            return constant
    elif spec.template is not None:
        names = spec.referenced_columns()
        positions = [index[name] for name in names]
        template = spec.template

        def get(values: list[str]) -> str:
            parts = {name: values[p].strip() for name, p in zip(names, positions)}
            return template.format_map(parts) if any(parts.values()) else ""
    elif len(spec.columns) == 1:
        pick = itemgetter(index[spec.columns[0]])

        def get(values: list[str]) -> str:
            return pick(values).strip()
    else:
        picks = itemgetter(*(index[c] for c in spec.columns))

        def get(values: list[str]) -> str:
            parts = [part.strip() for part in picks(values)]
            return "|".join(parts) if any(parts) else ""
    if spec.pattern is not None:
        get = _with_pattern(get, spec)
    if spec.default is not None:
        get = _with_default(get, spec.default)
    return get


def _with_pattern(get: Getter, spec: FieldSpec) -> Getter:
    pattern = re.compile(spec.pattern or "")
    cache: dict[str, str] = {}

    def patterned(values: list[str]) -> str:
        text = get(values)
        if not text:
            return text
        found = cache.get(text)
        if found is None:
            match = pattern.fullmatch(text)
            if match is None:
                raise Invalid(spec.name, f"'{text}' does not match the pattern {spec.pattern}")
            found = cache[text] = match.group(1) or ""
            if len(cache) > 100_000:
                cache.clear()
        return found
    return patterned


def _with_default(get: Getter, default: str) -> Getter:
    def defaulted(values: list[str]) -> str:
        return get(values) or default
    return defaulted
