"""`fleetctl diff` shows a change of a building stack's registry consumers as a stack-wide change, not a release."""

from __future__ import annotations

import pytest

CONSUMERS = '  fleet:registry:\n    consumers:\n      - {account: "210987654321", region: us-east-1}\n'


@pytest.fixture
def base(project) -> str:
    return project.git("rev-parse", "HEAD")


def with_consumers(project, consumers: str) -> None:
    text = project.read("Pulumi.staging.yaml")
    project.write("Pulumi.staging.yaml", text.replace("config:\n", f"config:\n{consumers}", 1))


def test_adding_a_consumer_is_a_stack_wide_change_and_no_release(project, fleetctl, base):
    with_consumers(project, CONSUMERS)

    result = fleetctl("diff", base)

    assert result.code == 0, result.out
    section = result.out.split("### `staging`", 1)[1].split("\n### ", 1)[0]
    assert section.splitlines()[1:] == [
        "- registry consumers (stack-wide, no release: the registry's replication rule is updated in place): "
        "replicates to `210987654321` in `us-east-1`. ECR copies only images pushed from then on",
        "- **web**: unchanged",
        "- **api**: unchanged",
    ]


def test_removing_a_consumer_names_the_registry_it_stops_replicating_to(project, fleetctl, base):
    with_consumers(project, CONSUMERS)
    project.commit("replicate to prod")
    replicated = project.git("rev-parse", "HEAD")
    project.write("Pulumi.staging.yaml", project.read("Pulumi.staging.yaml").replace(CONSUMERS, ""))

    result = fleetctl("diff", replicated)

    assert "stops replicating to `210987654321` in `us-east-1`" in result.out
    assert "**release**" not in result.out
