"""The configuration and stack-outputs references (`docs/configuration.md`, `docs/outputs.md`), generated from code.

Each key's kind, range and default has one home, the key tables of `fleet.config` (and each output key one home,
the records of `fleet.outputs`), so the reference is rendered from them rather than written a second time by hand:
what is allowed comes from each key's kind, the default from its dataclass field, what it does from the field's
docstring (a key without a field: its `Key.doc`), the rules across keys from their docstrings.
`docs/generate.py` writes the pages; `tests/test_docs.py` fails when a key, kind or rule has no description, and
when a committed page is stale.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import re
import textwrap
import typing
from collections.abc import Iterator
from dataclasses import dataclass, fields, is_dataclass
from functools import cache
from typing import Any

from fleet import config, outputs
from fleet.config_types import ConfigError
from fleet.names import NAMESPACE
from fleet.schema import INVALID, Flag, Inside, Key, Kind, Nested, OrNull, Schema, TrackingTarget, Whole

REGENERATE = "`.venv/bin/python docs/generate.py`"


def _documented(statements: list[ast.stmt]) -> dict[str, str]:
    """The docstring of each name assigned in `statements`: the string literal right after its assignment."""
    docs: dict[str, str] = {}
    for statement, following in itertools.pairwise(statements):
        targets = [statement.target] if isinstance(statement, ast.AnnAssign) else getattr(statement, "targets", [])
        if (
            len(targets) == 1
            and isinstance(targets[0], ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[targets[0].id] = inspect.cleandoc(following.value.value)
    return docs


@cache
def field_docs(cls: type) -> dict[str, str]:
    """The docstring of each field of a class, its bases' included, by field name."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    body = ast.parse(source).body[0]
    assert isinstance(body, ast.ClassDef)
    inherited = {name: doc for base in reversed(cls.__mro__[1:]) for name, doc in field_docs(base).items()}
    return {**inherited, **_documented(body.body)}


def module_docs(module: Any) -> dict[str, str]:
    """The docstring of each module-level constant, by name."""
    return _documented(ast.parse(inspect.getsource(module)).body)


def one_line(text: str) -> str:
    """A text as one Markdown table cell: its lines joined, pipes escaped, and outside `code` the characters Markdown
    would take for HTML or emphasis (`<region>`, `FLEET_*`)."""
    parts = " ".join(text.split()).replace("|", "\\|").split("`")
    return "`".join(re.sub(r"([<>*])", r"\\\1", part) if index % 2 == 0 else part for index, part in enumerate(parts))


# --- the configuration reference ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One key of a mapping, as its table shows it."""

    key: str
    default: str
    allowed: str
    does: str


@dataclass(frozen=True)
class Section:
    """One mapping of the configuration: its full key, what it is, its keys and the rules across them."""

    path: str
    about: str
    rows: tuple[Row, ...]
    rules: tuple[str, ...]
    switched_off: bool


@dataclass(frozen=True)
class Missing:
    """A description the reference needs and the code lacks."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def _unwrap(kind: Kind) -> Kind:
    return kind.kind if isinstance(kind, OrNull) else kind


def _children(kind: Kind) -> tuple[Schema, str] | None:
    """The schema a key's value is read with, and what its path adds (`.<name>` for the services by name)."""
    kind = _unwrap(kind)
    if isinstance(kind, Nested):
        return kind.schema, ""
    if isinstance(kind, config.Services):
        return config.SERVICE, ".<name>"
    return None


def allowed(kind: Kind) -> str | None:
    """What a kind accepts, in words: from its range, its `allowed` text, or else the first paragraph of its own
    class's docstring; None when it says nothing."""
    kind = _unwrap(kind)
    if isinstance(kind, TrackingTarget):
        return f"`0` (off) or a whole number from {kind.floor} to {kind.high}"
    if isinstance(kind, Whole):
        return f"a whole number from {kind.low} to {kind.high}"
    if isinstance(kind, Flag):
        return "`true` or `false`"
    if _children(kind) is not None:
        return "a mapping (below)"
    text = getattr(kind, "allowed", None) or type(kind).__dict__.get("__doc__")
    return first_paragraph(text) if isinstance(text, str) and text else None


def first_paragraph(text: str) -> str:
    """A docstring's summary, as one table cell (what follows a blank line is for the code's readers)."""
    return one_line(inspect.cleandoc(text).split("\n\n")[0])


def shown(value: Any, kind: Kind | None = None) -> str:
    """A default as a stack file would write it."""
    if isinstance(_unwrap(kind) if kind else None, TrackingTarget) and value is None:
        return "`0` (off)"
    if value is None or value == ():
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, int | str):
        return f"`{value}`"
    children = _children(kind) if kind else None
    if children and is_dataclass(value):
        schema = children[0]
        parts = [f"{key.name}: {getattr(value, key.field)}" for key in schema.keys if key.kind.fills_a_field]
        return "`{" + ", ".join(parts) + "}`" if value != _all_defaults(schema) else "the defaults below"
    return f"`{value}`"


def _all_defaults(schema: Schema) -> Any:
    try:
        return schema.target(**schema.defaults)
    except TypeError:
        return INVALID


def _default(key: Key, schema: Schema, inherited: dict[str, str]) -> str:
    if not key.kind.fills_a_field:
        return "-"
    if key.required:
        return "required"
    if key.field in inherited:
        return f"the {inherited[key.field]}"
    if key.field in schema.defaults:
        return shown(schema.defaults[key.field], key.kind)
    return "none"


def sections(missing: list[Missing] | None = None) -> list[Section]:
    """Every mapping of the configuration, in the order of the tables, from `fleet:` down."""
    found: list[Section] = []
    problems: list[Missing] = [] if missing is None else missing
    _walk(NAMESPACE, config.TOP_LEVEL, "`fleet:<key>` in a stack file's `config:`.", {}, found, problems)
    return found


RENDERED_KEY_PARTS = {"name", "kind", "required", "field", "doc"}
RENDERED_SCHEMA_PARTS = {"target", "keys", "rules", "switched_off", "names", "defaults"}
"""What the reference says of a `Key` and a `Schema`: a part the tables gain later (a check a key declares) is
reported missing until this module renders it, so the reference never leaves out what the tables say."""


def _unrendered(where: str, table: object, rendered: set[str]) -> list[Missing]:
    return [
        Missing(where, f"{type(table).__name__}.{part} is not rendered: teach fleet/reference.py to say it")
        for part, value in vars(table).items()
        if part not in rendered and value not in (None, (), [], {}, False)
    ]


def _walk(
    path: str, schema: Schema, about: str, inherited: dict[str, str], found: list[Section], missing: list[Missing]
) -> None:
    docs = field_docs(schema.target)
    rows, below = [], []
    missing += _unrendered(path, schema, RENDERED_SCHEMA_PARTS)
    for key in schema.keys:
        name = key.name
        does = key.doc or docs.get(key.field, "") if key.kind.fills_a_field else key.doc
        kind = _unwrap(key.kind)
        if isinstance(kind, Inside):
            name, kind = f"{name}.{kind.name}", kind.kind
        full = f"{path}{'.' if path != NAMESPACE else ':'}{name}"
        if not does:
            missing.append(Missing(full, f"what it does: a docstring on {schema.target.__name__}.{key.field}"))
        missing += _unrendered(full, key, RENDERED_KEY_PARTS)
        text = allowed(kind) if key.kind.fills_a_field else "checked by a rule across keys"
        if text is None:
            missing.append(Missing(full, f"what is allowed: an `allowed` text on {type(kind).__name__}"))
        rows.append(Row(name, _default(key, schema, inherited), text or "", one_line(does)))
        children = _children(kind)
        if children:
            child, suffix = children
            heirs = getattr(kind, "inherits", ())
            passed = {field: f"{_key_name(schema, field)} of `{path}`" for field in heirs}
            below.append((f"{full}{suffix}", child, does, passed))
    rules = []
    for rule in schema.rules:
        if not rule.__doc__:
            missing.append(Missing(path, f"the rule {rule.__name__} has no docstring"))
        rules.append(first_paragraph(rule.__doc__ or ""))
    found.append(Section(path, about, tuple(rows), tuple(rules), schema.switched_off is not None))
    for child_path, child, child_about, passed in below:
        _walk(child_path, child, _about(child, child_about), passed, found, missing)


def _key_name(schema: Schema, field: str) -> str:
    return next(f"`{key.name}`" for key in schema.keys if key.field == field)


def _about(schema: Schema, field_doc: str) -> str:
    return one_line(inspect.cleandoc(schema.target.__doc__ or "")) or one_line(field_doc)


EXAMPLE = """\
config:
  aws:region: eu-west-1
  fleet:network:                 # optional: without it, the account's default VPC and all its subnets
    vpcId: vpc-0123456789abcdef0
    subnetIds: [subnet-0123456789abcdef0, subnet-0123456789abcdef1]
  fleet:tls:                     # optional: HTTPS on every service, HTTP only redirects
    certificateArn: arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d
  fleet:alarms:                  # optional: where alarms go
    topicArn: arn:aws:sns:eu-west-1:123456789012:fleet-oncall
  fleet:services:
    web:
      image:
        version: "1.4.2"
        build: images/web        # on a promoted stack, ref: <account>.dkr.ecr.<region>.amazonaws.com/...@sha256:...
      hostImage: ami-0abc1234def567890   # .venv/bin/fleetctl host-image staging writes it
      capacity: {min: 2, desired: 2, max: 6}
      settings:                  # environment variables of the container
        LOG_LEVEL: info
        DB_PASSWORD:             # pulumi config set --secret --path 'fleet:services.web.settings.DB_PASSWORD'
          secure: v1:ZmxlZXQtZG9jcy0x:YW4gZXhhbXBsZSwgbm90IGEgcmVhbCBzZWNyZXQ=
      httpsPort: 443             # only with fleet:tls
      alarms: {errorRatePercent: 5, p99LatencyMs: 2000}
"""
"""A stack file using most keys (tests/test_docs.py parses it as the program does)."""


def error_sample() -> str:
    """What the program and `fleetctl check` say about a service with a misspelt key and its sizes out of order."""
    service = {
        "image": {"version": "1.0.0", "build": "images/web"},
        "hostImage": "ami-0123456789abcdef0",
        "instanceTyp": "t3.small",
        "capacity": {"min": 3, "desired": 2, "max": 6},
    }
    try:
        config.parse_config({"services": {"web": service}}, "staging")
    except ConfigError as error:
        return str(error)
    raise AssertionError("the sample configuration is meant to be invalid")


def configuration_page() -> str:
    lines = [
        "# Configuration reference",
        "",
        f"<!-- Generated by {REGENERATE} from the key tables of fleet/config.py and the defaults of "
        "fleet/config_types.py. Do not edit by hand. -->",
        "",
        "Every key of a stack file (`Pulumi.<stack>.yaml`) under the `fleet:` namespace, read by `parse_config` in",
        "`fleet/config.py` for the program and for `fleetctl check`/`plan`/`diff`. A stack file using most of them:",
        "",
        "```yaml",
        EXAMPLE.rstrip("\n"),
        "```",
        "",
        "Set a structured key with `pulumi config set --path`, for example",
        "`pulumi config set --stack staging --path 'fleet:services.web.capacity.max' 10`.",
        "A key given as null (`key:` with nothing after it) is the same as leaving it out. Any other key is an error.",
        "Every invalid value stops the program before it declares any resource, with every problem listed at once,",
        "each naming its key and what is allowed, for example:",
        "",
        "```text",
        error_sample(),
        "```",
        "",
        "Besides these, a stack needs `aws:region`; `fleetctl check <stack>` runs the same checks offline.",
    ]
    for section in sections():
        heading = "Stack-wide keys" if section.path == NAMESPACE else f"`{section.path}`"
        lines += ["", f"## {heading}", "", section.about, ""]
        if section.switched_off:
            lines += ["`enabled: false` turns the whole mapping off; its other keys are then refused.", ""]
        lines += ["| key | default | allowed | what it does |", "|---|---|---|---|"]
        lines += [f"| `{row.key}` | {row.default} | {row.allowed} | {row.does} |" for row in section.rows]
        if section.rules:
            lines += ["", "Rules across these keys:", ""]
            lines += [f"- {rule}" for rule in section.rules]
    return "\n".join(lines) + "\n"


# --- the stack outputs reference ---------------------------------------------------------------------------------

TOP_LEVEL_OUTPUTS: dict[str, tuple[Any, str]] = {
    "STACK": (None, ""),
    "LOAD_BALANCER_DNS": (None, ""),
    "NETWORK": (None, ""),
    "SERVICES": (outputs.ServiceOutputs, ".<name>"),
    "PROMOTION": (None, ""),
    "REGISTRY": (outputs.RegistryOutputs, ""),
    "DNS": (outputs.DnsOutputs, ""),
}
"""The constants of `fleet.outputs` that name the program's top-level outputs, each with the record its value is
read as (None: described by the constant's docstring) and what its keys' paths add (tests/test_docs.py checks them
against what the program exports under the mocks)."""


def _record_type(annotation: Any) -> tuple[Any, bool]:
    """The record class an output field holds (None: a plain value), and whether it is a list of them."""
    if typing.get_origin(annotation) is tuple:
        inner = typing.get_args(annotation)[0]
        return (inner, True) if is_dataclass(inner) else (None, False)
    records = [argument for argument in typing.get_args(annotation) or (annotation,) if is_dataclass(argument)]
    return (records[0] if records else None), False


def _type_name(annotation: Any) -> str:
    names = {str: "string", int: "number", bool: "true/false"}
    if typing.get_origin(annotation) is tuple:
        inner = typing.get_args(annotation)[0]
        if typing.get_origin(inner) is tuple:
            return "object"  # pairs, written as an object of their first by their second
        return f"list of {'objects' if is_dataclass(inner) else names.get(inner, 'values') + 's'}"
    for argument in typing.get_args(annotation) or (annotation,):
        if argument in names:
            return names[argument]
        if is_dataclass(argument):
            return "object"
    return "value"


def output_rows(cls: Any, prefix: str, missing: list[Missing]) -> Iterator[tuple[str, str, str]]:
    """(key, type, what it holds) for every output key of a record, nested records after their key."""
    hints = typing.get_type_hints(cls)
    docs = field_docs(cls)
    for spec in fields(cls):
        key = f"{prefix}.{spec.metadata['key']}"
        doc = docs.get(spec.name) or _record_doc(hints[spec.name])
        if not doc:
            missing.append(Missing(key, f"what it holds: a docstring on {cls.__name__}.{spec.name}"))
        yield key, _type_name(hints[spec.name]), one_line(doc)
        record, many = _record_type(hints[spec.name])
        if record is not None:
            yield from output_rows(record, f"{key}[]" if many else key, missing)


def _record_doc(annotation: Any) -> str:
    record, _ = _record_type(annotation)
    return inspect.cleandoc(record.__doc__ or "") if record and record.__doc__ else ""


def outputs_page(missing: list[Missing] | None = None) -> str:
    problems: list[Missing] = [] if missing is None else missing
    docs = module_docs(outputs)
    lines = [
        "# Stack outputs",
        "",
        f"<!-- Generated by {REGENERATE} from fleet/outputs.py. Do not edit by hand. -->",
        "",
        "What the program exports (`pulumi stack output --json --stack <stack>`): the next update reads them back, and",
        "so do `fleetctl plan --from-outputs`, `promote`, `rollback`, `retain`, `audit`, `canary status` and the",
        "promotion guard of a stack promoted from this one. A key an older version of fleet did not write reads as",
        "absent. A failed update can still write the outputs the program registered",
        "([internals.md](internals.md#a-failed-update)): the program registers them only once every group it exports",
        "passed its health gate.",
        "",
        "| output | type | what it holds |",
        "|---|---|---|",
    ]
    for name in TOP_LEVEL_OUTPUTS:
        key = getattr(outputs, name)
        doc = docs.get(name, "")
        if not doc:
            problems.append(Missing(key, f"what it holds: a docstring on fleet.outputs.{name}"))
        kind = "string" if name in {"STACK", "LOAD_BALANCER_DNS"} else "object"
        lines.append(f"| `{key}` | {kind} | {one_line(doc)} |")
        if name == "NETWORK":
            lines.append(f"| `{key}.{outputs.VPC_ID}` | string | {one_line(docs.get('VPC_ID', ''))} |")
    for name, (record, suffix) in TOP_LEVEL_OUTPUTS.items():
        if record is not None:
            rows = output_rows(record, f"{getattr(outputs, name)}{suffix}", problems)
            lines += [f"| `{key}` | {kind} | {doc} |" for key, kind, doc in rows]
    return "\n".join(lines) + "\n"


# --- what the pages need -----------------------------------------------------------------------------------------


def missing_descriptions() -> list[Missing]:
    """Every description the generated pages need and the code lacks."""
    missing: list[Missing] = []
    sections(missing)
    outputs_page(missing)
    return missing
