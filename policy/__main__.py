"""Serve fleet's policies to the Pulumi engine: `pulumi preview --policy-pack policy`.

Constructing `PolicyPack` starts the analyzer's gRPC server and blocks, so nothing imports this module; the
rules live in `policy.rules`, where tests and the mocks check use them directly.
"""

import sys
from pathlib import Path

from pulumi_policy import EnforcementLevel, PolicyPack

# The policy host runs this folder with runpy, which puts the folder itself on sys.path: add the repository so
# the pack imports as the `policy` package, as the tests do.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from policy.hostnames import POLICIES as HOSTNAME_POLICIES
from policy.rules import POLICIES

PolicyPack(
    name="fleet-immutability", policies=[*POLICIES, *HOSTNAME_POLICIES], enforcement_level=EnforcementLevel.MANDATORY
)
