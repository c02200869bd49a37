"""The table form of the configuration: a table that names a field its dataclass lacks fails at import, not at use."""

from __future__ import annotations

import pytest

from fleet.config import Capacity
from fleet.schema import Key, Schema, Whole


def test_a_key_is_read_into_the_field_of_its_name_in_snake_case():
    assert Key("p99LatencyMs", Whole(1, 2)).field == "p99_latency_ms"


def test_a_table_naming_a_field_its_dataclass_lacks_is_refused():
    with pytest.raises(TypeError, match="Capacity has no field minimum"):
        Schema(Capacity, [Key("minimum", Whole(0, 100))])
