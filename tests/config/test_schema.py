"""The table form of the configuration: a table that names a field or key it lacks fails at import, not at use;
the rules a table states read only valid values."""

from __future__ import annotations

import pytest

from fleet.config import CAPACITY, SCALING
from fleet.config_types import Capacity
from fleet.schema import InOrder, Key, Problems, Requires, Schema, Whole, parse


def test_a_key_is_read_into_the_field_of_its_name_in_snake_case():
    assert Key("p99LatencyMs", Whole(1, 2)).field == "p99_latency_ms"


def test_a_table_naming_a_field_its_dataclass_lacks_is_refused():
    with pytest.raises(TypeError, match="Capacity has no field minimum"):
        Schema(Capacity, [Key("minimum", Whole(0, 100))])


def test_a_rule_naming_a_key_its_table_lacks_is_refused():
    keys = [Key(name, Whole(0, 100), required=True) for name in ("min", "desired", "max")]
    with pytest.raises(TypeError, match="a rule of the Capacity table names no key of it: maximum"):
        Schema(Capacity, keys, rules=[InOrder("min", "maximum")])


def test_a_stated_rule_says_what_it_checks_for_the_configuration_reference():
    assert InOrder("min", "desired", "max").__doc__ == "`min` <= `desired` <= `max`."
    strict = InOrder("timeoutSeconds", "intervalSeconds", strict=True)
    assert strict.__doc__ == "`timeoutSeconds` is less than `intervalSeconds`."
    assert Requires("subnetIds", "vpcId", because="why").__doc__ == "`subnetIds` needs `vpcId`."


def test_keys_in_order_are_compared_pair_by_pair_where_both_values_are_valid():
    problems = Problems(None)
    parse(problems, "capacity", {"min": -1, "desired": 7, "max": 6}, CAPACITY)
    assert problems.items == [
        ("capacity.min", "must be from 0 to 100; got -1"),
        ("capacity", "desired (7) must not exceed max (6)"),
    ]


def test_the_rules_of_a_mapping_stand_aside_while_its_enabled_is_invalid():
    problems = Problems(None)
    parse(problems, "scaling", {"enabled": "yes", "cpuPercent": 0}, SCALING)
    assert problems.items == [("scaling.enabled", "must be true or false; got 'yes'")]
