"""`instanceType` is checked against the EC2 API model's `InstanceType` enum, from a list generated from botocore.

Regenerate the list after a botocore upgrade: `.venv/bin/python -m tests.config.test_instance_types >
fleet/instance_types.py`.
"""

from __future__ import annotations

import textwrap

import botocore
import botocore.session
import pytest

from fleet import instance_types
from fleet.config import parse_config
from fleet.config_types import ConfigError
from tests.checkout import ROOT, stack_file

HEADER = '''"""Every EC2 instance type AWS's API accepts: the `InstanceType` enum of the EC2 model botocore ships.

Generated, not written (tests/config/test_instance_types.py says how): the program checks `instanceType` on every
run, where loading the EC2 model (`botocore/data/ec2/*/service-2.json.gz`) would cost 0.2 s of CPU.
"""

from __future__ import annotations

BOTOCORE_VERSION = "{version}"
"""The botocore whose EC2 model this list is."""

INSTANCE_TYPES = frozenset(
    """
{names}
    """.split()  # noqa: SIM905 (a list literal of 1400 names would be 1400 lines)
)
'''


def botocore_instance_types() -> list[str]:
    return sorted(botocore.session.get_session().get_service_model("ec2").shape_for("InstanceType").enum)


def render() -> str:
    """The text of fleet/instance_types.py for the installed botocore."""
    names = " ".join(botocore_instance_types())
    names = textwrap.fill(names, width=116, initial_indent="    ", subsequent_indent="    ")
    return HEADER.format(version=botocore.__version__, names=names)


def test_the_list_is_botocores_instance_type_enum():
    assert sorted(instance_types.INSTANCE_TYPES) == botocore_instance_types()


def test_the_module_is_what_the_generator_writes_for_the_installed_botocore():
    assert (ROOT / "fleet" / "instance_types.py").read_text() == render()


@pytest.mark.parametrize("key", ["instanceType", "canary.instanceType"])
def test_an_instance_type_ec2_does_not_know_is_refused_naming_the_key(key):
    config = stack_file("staging")
    web = config["fleet:services"]["web"]
    if key == "instanceType":
        web["instanceType"] = "t3.gigantic"
    else:
        web["canary"] = {"image": {**web["image"], "version": "2.0.0"}, "instanceType": "t3.gigantic"}

    with pytest.raises(ConfigError) as error:
        parse_config({"services": config["fleet:services"]}, "staging", ROOT)

    assert error.value.problems == [
        f"fleet:services.web.{key}: must be an EC2 instance type, one of the {len(instance_types.INSTANCE_TYPES)} "
        "in the EC2 API (such as t3.small); got 't3.gigantic'"
    ]


def test_every_instance_type_ec2_knows_is_accepted():
    config = stack_file("staging")
    for instance_type in sorted(instance_types.INSTANCE_TYPES)[::97]:
        config["fleet:services"]["web"]["instanceType"] = instance_type
        parse_config({"services": config["fleet:services"]}, "staging", ROOT)


if __name__ == "__main__":
    print(render(), end="")
