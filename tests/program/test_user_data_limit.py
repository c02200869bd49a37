"""The launch template's user data fits EC2's 16 KB for every config the rules accept.

EC2 limits user data to 16 KB "in raw form, before it is base64-encoded" (EC2 user guide, "Work with instance
user data"). Fleet's user data is the boot script plus one `readonly NAME='value'` line per boot variable; the
settings' values are not in it (hosts read them from SSM), only each setting's name and pinned version. So its
longest form is bounded by the config's limits, computed here, and no config can exceed it: the config needs no
rule of its own, and this test fails the day a limit or the boot script grows past it.
"""

from __future__ import annotations

import base64
import re

from fleet.release import BOOT_SCRIPT
from fleet.resource_types import LAUNCH_TEMPLATE
from fleet.service_settings import MAX_SETTINGS
from tests.checkout import ROOT
from tests.program.test_name_limits import PULUMI_MAX_STACK_NAME

USER_DATA_LIMIT = 16 * 1024
RELEASE_ID_LENGTH = 12
"""`fleet.release.identify`: the first 12 hex digits of a sha256."""
SETTING_NAME = 128
"""`SETTING_NAME` in fleet/service_settings.py: 1-128 characters."""
PARAMETER_VERSION = len(str(2**63 - 1))
"""An SSM parameter's version is a Long (botocore ssm model `PSParameterVersion`)."""
REGION = 32
"""The longest region fleet's ECR reference pattern accepts (AWS's are at most 14 characters)."""
SERVICE = 20
VERSION = 128
REPOSITORY = 256
"""ECR's `RepositoryName`: at most 256 characters."""
LOG_GROUP = len("/fleet/") + PULUMI_MAX_STACK_NAME + 1 + SERVICE

LONGEST_VALUES = {
    "FLEET_STACK": PULUMI_MAX_STACK_NAME,
    "FLEET_SERVICE": SERVICE,
    "FLEET_RELEASE": RELEASE_ID_LENGTH,
    "FLEET_VERSION": VERSION,
    "FLEET_IMAGE_REF": len(f"{'0' * 12}.dkr.ecr.{'r' * REGION}.amazonaws.com/{'r' * REPOSITORY}@sha256:{'0' * 64}"),
    "FLEET_PORT": len("65535"),
    "FLEET_REGION": REGION,
    "FLEET_LOG_GROUP": LOG_GROUP,
    "FLEET_SETTINGS_PATH": LOG_GROUP + 1,
    "FLEET_SETTINGS": MAX_SETTINGS * (SETTING_NAME + 1 + PARAMETER_VERSION) + MAX_SETTINGS - 1,
}
"""Each boot variable at the longest its value can be."""


def longest_user_data() -> int:
    """Bytes of the longest user data: `#!/bin/bash`, a quoted readonly line per variable, the boot script."""
    lines = sum(len(f"readonly {name}=''\n") + length for name, length in LONGEST_VALUES.items())
    return len("#!/bin/bash\n") + lines + len((ROOT / BOOT_SCRIPT).read_bytes())


def test_the_longest_user_data_the_config_allows_fits_ec2s_16_kb():
    assert longest_user_data() <= USER_DATA_LIMIT


def test_the_bound_covers_every_boot_variable_the_program_sets(program, staging_config):
    template = program("staging", staging_config).one(LAUNCH_TEMPLATE)
    script = base64.b64decode(template.inputs["userData"]).decode()

    assert set(re.findall(r"^readonly (\w+)=", script, re.MULTILINE)) == set(LONGEST_VALUES)
