"""Reading a mapping of the stack configuration from a table of its keys, into a dataclass.

`fleet.config` describes each mapping once, as a `Schema`: every key's name, kind (type, range or pattern, and what
is allowed, said in the message) and whether it is required; the dataclass field default is the key's default. One
routine, `parse`, then reports unknown keys, each bad value and the rules across keys, all at once. A rule of a
generic shape (keys in order, one of some keys set, a key that needs another) is a `Check` the table states, its
`__doc__` saying in words what it checks; the others are functions of `fleet.config_rules`.

Plain classes rather than dataclasses: a program run imports this module, and creating a dataclass costs about a
millisecond.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import MISSING, Field, fields
from pathlib import Path
from typing import Any


class Problems:
    """Collects (key, message) problems so that a user sees all of them in one run, not one per run.

    Also carries the project root, the one thing outside the stack file that a key (a build context) is checked
    against.
    """

    def __init__(self, project_root: Path | None) -> None:
        self.items: list[tuple[str, str]] = []
        self.project_root = project_root

    def add(self, key: str, message: str) -> None:
        self.items.append((key, message))

    def mapping(self, key: str, value: Any, allowed: Iterable[str]) -> dict[str, Any]:
        """`value` as a mapping holding only `allowed` keys (unknown keys are typos: reported with the allowed ones)."""
        allowed = tuple(allowed)
        if not isinstance(value, dict):
            self.add(key, f"must be a mapping with keys {', '.join(allowed)}; got {describe(value)}")
            return {}
        for unknown in sorted(set(value) - set(allowed)):
            self.add(subkey(key, unknown), f"unknown key; allowed keys are {', '.join(allowed)}")
        return {name: value[name] for name in allowed if name in value}


def describe(value: Any) -> str:
    """A value as a message shows it: text quoted, anything else with its type."""
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return repr(value) if value else "an empty string"
    return f"{type(value).__name__} {value!r}"


def subkey(key: str, name: str) -> str:
    """`services.web` + `port`; the top-level mapping has no key of its own."""
    return f"{key}.{name}" if key else name


class _Invalid:
    def __repr__(self) -> str:
        return "INVALID"


INVALID: Any = _Invalid()
"""What a kind returns after reporting a problem: the key has no value, and rules that read it stand aside."""
UNSET: Any = object()
"""What a kind returns for a value that means "not set" (null): the field keeps its dataclass default."""


def valid(*values: Any) -> bool:
    return all(value is not INVALID for value in values)


class Kind:
    """How one key's value is checked and converted: `parse` reports its problems, naming the key and what is
    allowed, and returns the value for the dataclass field, or INVALID.

    A kind that only tests its value says so with `accepts` and `allowed` (what the message says it must be)."""

    reads_parent = False
    """Whether `parse_in` reads the values of the mapping the key is in."""
    fills_a_field = True
    allowed = ""

    def accepts(self, value: Any) -> bool:
        raise NotImplementedError

    def parse(self, problems: Problems, key: str, value: Any) -> Any:
        if not self.accepts(value):
            problems.add(key, f"must be {self.allowed}; got {describe(value)}")
            return INVALID
        return value

    def parse_in(self, problems: Problems, key: str, value: Any, parent: Mapping[str, Any]) -> Any:
        """`parse`, knowing the values (by field) read so far of the mapping the key is in."""
        return self.parse(problems, key, value)

    def missing(self, problems: Problems, key: str) -> None:
        """Reports a required key that is absent: by default as if it were given as nothing."""
        self.parse(problems, key, None)


class Whole(Kind):
    """A whole number from `low` to `high` (true/false are not numbers, though Python counts them as such)."""

    def __init__(self, low: int, high: int) -> None:
        self.low, self.high = low, high

    def parse(self, problems: Problems, key: str, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            problems.add(key, f"must be a whole number from {self.low} to {self.high}; got {describe(value)}")
            return INVALID
        if not self.low <= value <= self.high:
            problems.add(key, f"must be from {self.low} to {self.high}; got {value}")
            return INVALID
        return value

    def missing(self, problems: Problems, key: str) -> None:
        problems.add(key, f"is required: a whole number from {self.low} to {self.high}")


class TrackingTarget(Whole):
    """A target-tracking value from 0 to `high`, where 0 turns the tracking off (None) and 1 to `floor - 1` is
    refused."""

    def __init__(self, high: int, floor: int) -> None:
        super().__init__(0, high)
        self.floor = floor

    def parse(self, problems: Problems, key: str, value: Any) -> Any:
        value = super().parse(problems, key, value)
        if value is INVALID or value == 0:
            return None if value == 0 else INVALID
        if value < self.floor:
            problems.add(key, f"must be 0 (not tracked) or from {self.floor} to {self.high}; got {value}")
            return INVALID
        return value


class Text(Kind):
    """A string matching `pattern`; `allowed` says what that is, with an example."""

    def __init__(self, pattern: re.Pattern[str], allowed: str) -> None:
        self.pattern, self.allowed = pattern, allowed

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str) and bool(self.pattern.match(value))


class OneOf(Kind):
    """A string from a fixed set (`values`, generated from an AWS model); `allowed` says what that is."""

    def __init__(self, values: frozenset[str], allowed: str) -> None:
        self.values, self.allowed = values, allowed

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str) and value in self.values


class DistinctTexts(Text):
    """A list of `at_least` to `at_most` distinct strings, each matching `pattern`; read as a tuple."""

    def __init__(self, pattern: re.Pattern[str], at_least: int, allowed: str, at_most: int | None = None) -> None:
        super().__init__(pattern, allowed)
        self.at_least, self.at_most = at_least, at_most

    def parse(self, problems: Problems, key: str, value: Any) -> Any:
        if (
            not isinstance(value, list)
            or len(value) < self.at_least
            or (self.at_most is not None and len(value) > self.at_most)
            or not all(isinstance(item, str) and self.pattern.match(item) for item in value)
            or len(set(value)) != len(value)
        ):
            problems.add(key, f"must be {self.allowed}; got {describe(value)}")
            return INVALID
        return tuple(value)


class Flag(Kind):
    allowed = "true or false"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, bool)


class OrNull(Kind):
    """`kind`, or null (`key:` with nothing after it in YAML), which is the same as leaving the key out."""

    def __init__(self, kind: Kind) -> None:
        self.kind = kind

    @property
    def reads_parent(self) -> bool:  # type: ignore[override]
        return self.kind.reads_parent

    def parse(self, problems: Problems, key: str, value: Any) -> Any:
        return UNSET if value is None else self.kind.parse(problems, key, value)

    def parse_in(self, problems: Problems, key: str, value: Any, parent: Mapping[str, Any]) -> Any:
        return UNSET if value is None else self.kind.parse_in(problems, key, value, parent)


class Nested(Kind):
    """A mapping described by `schema`, read as its dataclass; the fields `inherits` default to those of the
    mapping it is in (a canary runs its service's host image unless it sets its own)."""

    def __init__(self, schema: Schema, inherits: tuple[str, ...] = ()) -> None:
        self.schema, self.inherits = schema, inherits
        self.reads_parent = bool(inherits)

    def parse(self, problems: Problems, key: str, value: Any) -> Any:
        return parse(problems, key, value, self.schema)

    def parse_in(self, problems: Problems, key: str, value: Any, parent: Mapping[str, Any]) -> Any:
        return parse(problems, key, value, self.schema, **{name: parent[name] for name in self.inherits})


class CheckedByRule(Kind):
    """A key that is no field of its own: a rule of the enclosing mapping checks it (a canary's `port`, which can
    only be its service's)."""

    fills_a_field = False

    def parse(self, problems: Problems, key: str, value: Any) -> Any:
        return UNSET


class Inside(Kind):
    """A mapping holding one optional key, read as that key's value (`alarms: {topicArn: ...}`)."""

    def __init__(self, name: str, kind: Kind) -> None:
        self.name, self.kind = name, kind

    def parse(self, problems: Problems, key: str, value: Any) -> Any:
        settings = problems.mapping(key, value, (self.name,))
        if self.name not in settings:
            return UNSET
        return self.kind.parse(problems, subkey(key, self.name), settings[self.name])


class Key:
    """One key of a mapping: its name in the stack file, its kind, and the dataclass field it fills.

    An absent optional key leaves the field's dataclass default: the one place each default is written down.
    `required` may say what is required (`is required: <required>`); `field` defaults to the name in snake case
    (`hostImage` fills `host_image`). What a key does is its field's docstring, read by `fleet.reference` for the
    configuration reference; `doc` says it for a key that fills no field.
    """

    def __init__(self, name: str, kind: Kind, *, required: bool | str = False, field: str = "", doc: str = "") -> None:
        self.name, self.kind, self.required, self.doc = name, kind, required, doc
        self.field = field or re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


Rule = Callable[[Problems, str, Mapping[str, Any], Mapping[str, Any]], None]
"""A check across the keys of one mapping: (problems, the mapping's key, its values by field with the defaults of
absent keys and INVALID for reported ones, the keys as given). It stands aside where a value it reads is INVALID.
A `Check` is one of a generic shape, stated in the table; a function, one of its own."""


class Check:
    """A rule of a generic shape, stated in a table by the names of its keys (`InOrder("min", "desired", "max")`);
    its `__doc__` says what it checks, and `check` reads the values by key name."""

    def __init__(self, names: Iterable[str], doc: str) -> None:
        self.names, self.__doc__, self.__name__ = tuple(names), doc, type(self).__name__

    def check(self, problems: Problems, key: str, values: Mapping[str, Any], given: Mapping[str, Any]) -> None:
        raise NotImplementedError


class InOrder(Check):
    """Each key's value is at most (`strict`: less than) the next key's, where both are valid."""

    def __init__(self, *names: str, strict: bool = False) -> None:
        super().__init__(names, (" is less than " if strict else " <= ").join(f"`{name}`" for name in names) + ".")
        self.strict, self.verb = strict, "must be less than" if strict else "must not exceed"

    def check(self, problems: Problems, key: str, values: Mapping[str, Any], given: Mapping[str, Any]) -> None:
        for lower, upper in itertools.pairwise(self.names):
            low, high = values[lower], values[upper]
            if valid(low, high) and (low >= high if self.strict else low > high):
                problems.add(key, f"{lower} ({low}) {self.verb} {upper} ({high})")


class AtLeast(Check):
    """A key's valid value is at least `least`, `because` ...: a bound its range leaves to this rule, reported on
    the mapping."""

    def __init__(self, name: str, least: int, because: str) -> None:
        super().__init__((name,), f"`{name}` is at least {least}: {because}.")
        self.least, self.because = least, because

    def check(self, problems: Problems, key: str, values: Mapping[str, Any], given: Mapping[str, Any]) -> None:
        (value,) = values.values()
        if valid(value) and value < self.least:
            problems.add(key, f"{self.names[0]} must be at least {self.least}: {self.because}")


class ExactlyOne(Check):
    """Exactly one of the keys is set (a reported value counts as set), each named with what it is for."""

    def __init__(self, **meanings: str) -> None:
        super().__init__(meanings, f"Exactly one of {' and '.join(f'`{name}`' for name in meanings)}.")
        self.listed = " or ".join(f"{name} ({meaning})" for name, meaning in meanings.items())

    def check(self, problems: Problems, key: str, values: Mapping[str, Any], given: Mapping[str, Any]) -> None:
        if sum(value is not None for value in values.values()) != 1:
            problems.add(key, f"set exactly one of {self.listed}")


class AtLeastOne(Check):
    """At least one of the keys is set (a reported value counts as set): else the mapping does `nothing`, and the
    message says to set one or do what `otherwise` says."""

    def __init__(self, *names: str, nothing: str, otherwise: str) -> None:
        listed = " and ".join(f"`{name}`" for name in names)
        super().__init__(names, f"At least one of {listed} is set, or {otherwise}.")
        self.message = f"{nothing}: set {' and/or '.join(names)}, or {otherwise}"

    def check(self, problems: Problems, key: str, values: Mapping[str, Any], given: Mapping[str, Any]) -> None:
        if all(value is None for value in values.values()):
            problems.add(key, self.message)


class Requires(Check):
    """A key given (not null) needs `other` given too, `because` ..."""

    def __init__(self, name: str, other: str, because: str) -> None:
        super().__init__((name, other), f"`{name}` needs `{other}`.")
        self.because = because

    def check(self, problems: Problems, key: str, values: Mapping[str, Any], given: Mapping[str, Any]) -> None:
        name, other = self.names
        if given.get(name) is not None and other not in given:
            problems.add(subkey(key, name), f"needs {subkey(key, other)}: {self.because}")


class Schema:
    """A mapping of the configuration, the dataclass it is read as, and the rules across its keys.

    `switched_off`: a value of the dataclass for `enabled: false`, which turns the mapping off (its other keys then
    have no effect; with a bad `enabled`, its rules stand aside).
    """

    def __init__(self, target: type, keys: Iterable[Key], rules: Iterable[Rule | Check] = (), switched_off: Any = None):
        self.target, self.keys, self.rules, self.switched_off = target, tuple(keys), tuple(rules), switched_off
        self.names = tuple(key.name for key in self.keys)
        specs = {spec.name: spec for spec in fields(target)}
        unknown = [key.field for key in self.keys if key.kind.fills_a_field and key.field not in specs]
        if unknown:
            raise TypeError(f"{target.__name__} has no field {', '.join(unknown)}")
        unnamed = [
            name for rule in self.rules if isinstance(rule, Check) for name in rule.names if name not in self.names
        ]
        if unnamed:
            raise TypeError(f"a rule of the {target.__name__} table names no key of it: {', '.join(unnamed)}")
        defaults = {name: _default(spec) for name, spec in specs.items()}
        self.defaults = {name: value for name, value in defaults.items() if value is not MISSING}


def _default(spec: Field[Any]) -> Any:
    """A dataclass field's default, MISSING when it has none."""
    if spec.default is MISSING and spec.default_factory is not MISSING:
        return spec.default_factory()
    return spec.default


def parse(problems: Problems, key: str, value: Any, schema: Schema, **known: Any) -> Any:
    """`value` read as `schema.target` (`known`: fields given by the caller, which keys may override; INVALID when
    the caller's was) after reporting every problem of it:
    unknown keys, each key's value, then the rules across keys. INVALID when a value is: rules across mappings
    still see a mapping whose only problems are unknown keys or its own rules."""
    settings = problems.mapping(key, value, schema.names)
    if not isinstance(value, dict):
        return INVALID
    if schema.switched_off is not None and settings.get("enabled") is False:
        for option in sorted(set(settings) - {"enabled"}):
            problems.add(
                f"{key}.{option}",
                f"has no effect with enabled: false; remove it or turn {key.rsplit('.', 1)[-1]} on",
            )
        return schema.switched_off
    parsed: dict[str, Any] = {}
    for spec in schema.keys:
        if spec.name in settings:
            kind, name, raw = spec.kind, subkey(key, spec.name), settings[spec.name]
            if kind.reads_parent:
                parsed[spec.field] = kind.parse_in(problems, name, raw, {**schema.defaults, **known, **parsed})
            else:
                parsed[spec.field] = kind.parse(problems, name, raw)
        elif isinstance(spec.required, str):
            problems.add(subkey(key, spec.name), f"is required: {spec.required}")
            parsed[spec.field] = INVALID
        elif spec.required:
            spec.kind.missing(problems, subkey(key, spec.name))
            parsed[spec.field] = INVALID
    fields_read = {**known, **{name: given for name, given in parsed.items() if given is not UNSET}}
    values = {**schema.defaults, **fields_read}
    if schema.switched_off is None or valid(values["enabled"]):
        by_name = {spec.name: values.get(spec.field) for spec in schema.keys}
        for rule in schema.rules:
            if isinstance(rule, Check):
                rule.check(problems, key, {name: by_name[name] for name in rule.names}, settings)
            else:
                rule(problems, key, values, settings)
    if not valid(*fields_read.values()):
        return INVALID
    return schema.target(**fields_read)
