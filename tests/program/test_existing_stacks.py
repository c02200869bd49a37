"""Upgrading fleet replaces nothing on a stack that uses none of the hostname keys: it declares what main declared
at 8d32ea4, the last commit before hostnames were merged (the same types, names, parents, inputs and options), and
exports the same outputs, but for what the release slots (fleet/slots.py, docs/warm-rollback.md) add on purpose.
The snapshot was written by `tests/program/declarations.py` run in a checkout of 8d32ea4 (`git archive 8d32ea4`,
this file copied in, `python -m tests.program.declarations OUT`). A change meant to alter what such a stack declares
says so here (`SLOTS_ADD`, `slots_change`), or writes a new snapshot and says why in its commit.

What the slots change, and why none of it replaces what serves:
- new resources: slots b's and c's target groups, the track rule, the traffic rule (a new catch-all rule in front
  of the listener's default action, which stays as it was);
- the live group: the `fleet:track=live` tag (not propagated: an update in place), `replace_on_changes=["#initerror"]`
  (acts only on a group with init errors) and a `depends_on` on the track rule (order only);
- slot a's target group: the `fleet:track=live` tag (in place);
- the service's image, on a deploy that is not a release: `ignore_changes=["imageName", "build"]` (nothing built
  or pushed for a release an earlier update built);
- a canary: its release and target group are a slot's (`<name>-b-release`, `<name>-tgb` on a first run; an
  upgrade takes the old ones over through aliases into slot c), its weights rule is the traffic rule; its header
  rule forwards, and its alarms look, at its slot's target group;
- the outputs: `slot`, `targetGroupArn`, `since` on the release (and canary), `trafficRuleArn`, `trackRuleArn`,
  `warmRollbackMinutes`.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pulumi
import pytest

from fleet.resource_types import AUTOSCALING_GROUP, DOCKER_IMAGE, LISTENER_RULE, METRIC_ALARM, TARGET_GROUP
from fleetctl.simulation import qualified
from tests.checkout import stack_file
from tests.program.declarations import SCENARIOS, _run, _two_services_with_tls_and_a_canary, declarations

SNAPSHOT = json.loads((Path(__file__).parent / "snapshots" / "declarations-8d32ea4.json").read_text())
SERVICES = {
    "prod": ["web"],
    "staging": ["web"],
    "staging-redeployed": ["web"],
    "two-services-tls-canary": ["web", "api"],
}
CANARY_MOVED = {
    "web-canary-tg": "web-tgb",
    "web-canary-release": "web-release-b",
    "web-canary-release-launch-template": "web-release-b-launch-template",
    "web-canary-release-group": "web-release-b-group",
}
"""On a first run with a canary, the canary's release runs in slot b."""
CANARY_GONE = {"web-canary-weights"}
"""The canary's weights rule is the service's traffic rule now."""
OUTPUT_KEYS_ADDED = {"trafficRuleArn", "trackRuleArn", "warmRollbackMinutes"}
RELEASE_KEYS_ADDED = {"slot", "targetGroupArn", "since"}


def slots_add(scenario: str) -> set[tuple[str, str]]:
    """The resources a scenario declares that nothing before slots did (a canary's moved ones are not new)."""
    moved = {name for resource in SNAPSHOT[scenario]["resources"] if (name := CANARY_MOVED.get(resource["name"]))}
    added = set()
    for service in SERVICES[scenario]:
        added |= {(TARGET_GROUP, f"{service}-tgb"), (TARGET_GROUP, f"{service}-tgc")}
        added |= {(LISTENER_RULE, f"{service}-track-rule"), (LISTENER_RULE, f"{service}-traffic-rule")}
    return {(type_, name) for type_, name in added if name not in moved}


def slots_change(resource: dict[str, Any]) -> dict[str, Any]:
    """A declaration with what the slots change on purpose taken out, to compare with the snapshot's."""
    changed = copy.deepcopy(resource)
    changed["name"] = CANARY_MOVED.get(changed["name"], changed["name"])
    inputs = changed["inputs"]
    if changed["type"] in (AUTOSCALING_GROUP, TARGET_GROUP, LISTENER_RULE, METRIC_ALARM):
        for key in ("tags", "targetGroupArns", "namePrefix", "actions", "dimensions", "metricQueries"):
            inputs.pop(key, None)
        changed["dependsOn"] = []
        changed["options"] = None
    if "launchTemplate" in inputs:
        inputs.pop("launchTemplate")
    if changed["type"] == DOCKER_IMAGE and changed["options"]:
        # A deploy whose live release an earlier update built keeps that build (no tag pushed again).
        changed["options"]["ignore_changes"] = []
    if changed["name"] in CANARY_MOVED.values():
        # A canary's template is a slot's: the slot's name prefix, and no track tag (a finish keeps it).
        for key in ("tags", "tagSpecifications", "namePrefix"):
            inputs.pop(key, None)
    return changed


def comparable(resources: list[dict[str, Any]], moved: bool) -> dict[tuple[str, str], dict[str, Any]]:
    """By (type, name); with `moved`, a canary's old resources under their slot's names."""
    found = {}
    for resource in resources:
        if resource["name"] in CANARY_GONE:
            continue
        resource = dict(resource, name=CANARY_MOVED.get(resource["name"], resource["name"])) if moved else resource
        found[(resource["type"], resource["name"])] = resource
    return found


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_a_stack_without_hostnames_declares_what_it_declared_before_plus_only_the_slots_resources(scenario):
    before = comparable(SNAPSHOT[scenario]["resources"], moved=True)
    now = comparable(declarations(SCENARIOS[scenario]()), moved=False)

    assert set(now) - set(before) == slots_add(scenario)
    assert set(before) - set(now) == set()


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_resource_declared_before_slots_is_declared_as_it_was_but_for_what_the_slots_change(scenario):
    before = comparable(SNAPSHOT[scenario]["resources"], moved=True)
    now = comparable(declarations(SCENARIOS[scenario]()), moved=False)

    for key, resource in before.items():
        kept = slots_change(dict(resource, name=key[1]))
        kept["parent"] = now[key]["parent"] if "canary" in str(resource["parent"]) else kept["parent"]
        assert slots_change(now[key]) == kept, key


@pytest.mark.parametrize("scenario", ["staging", "prod", "staging-redeployed"])
def test_the_live_release_is_declared_as_before_slots_but_for_its_role_tag(scenario):
    before = {r["name"]: r for r in SNAPSHOT[scenario]["resources"]}
    now = {r["name"]: r for r in declarations(SCENARIOS[scenario]())}

    assert now["web-release-launch-template"] == before["web-release-launch-template"]
    group = copy.deepcopy(now["web-release-group"])
    assert group["inputs"]["tags"].pop() == {"key": "fleet:track", "propagateAtLaunch": False, "value": "live"}
    assert group["options"]["replace_on_changes"] == ["#initerror"]
    assert group["dependsOn"] == ["web-track-rule"]
    group["options"]["replace_on_changes"], group["dependsOn"] = [], []
    assert group == before["web-release-group"]
    assert now["web-listener"] == before["web-listener"]


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_a_stack_without_hostnames_exports_what_it_exported_before_plus_the_slots_keys(scenario):
    outputs = json.loads(json.dumps(SCENARIOS[scenario]().outputs, default=str))
    before = SNAPSHOT[scenario]["outputs"]

    assert set(outputs) == set(before)
    for service, exported in outputs["services"].items():
        old = before["services"][service]
        assert set(exported) - set(old) == OUTPUT_KEYS_ADDED
        assert set(exported["release"]) - set(old["release"]) == RELEASE_KEYS_ADDED
        for key in set(old) - {"release", "canary"}:
            assert exported[key] == old[key], key
        assert {k: v for k, v in exported["release"].items() if k not in RELEASE_KEYS_ADDED} == old["release"]


def test_upgrading_a_stack_that_fleet_before_slots_deployed_keeps_its_live_template_and_group():
    """The next update after 8d32ea4's own first update, run by this version on the outputs 8d32ea4 wrote: the live
    release stays in slot a, its template and group declared as 8d32ea4 declared them on its own second update."""
    written = SNAPSHOT["staging"]["outputs"]
    group_name = written["services"]["web"]["release"]["asgName"]

    run = _run(
        "staging", stack_file("staging"), stack_outputs={qualified("staging"): written}, live_desired={group_name: 2}
    )

    before = {r["name"]: r for r in SNAPSHOT["staging-redeployed"]["resources"]}
    now = {r["name"]: r for r in declarations(run)}
    assert now["web-release-launch-template"] == before["web-release-launch-template"]
    assert slots_change(now["web-release-group"]) == slots_change(before["web-release-group"])
    assert (
        now["web-release-group"]["options"]["replacement_trigger"]
        == before["web-release-group"]["options"]["replacement_trigger"]
    )
    assert run.outputs["services"]["web"]["release"]["slot"] == "a"
    assert "warm" not in run.outputs["services"]["web"]


def test_upgrading_a_stack_with_a_canary_takes_the_canary_over_into_slot_c_through_aliases():
    """8d32ea4's canary (`web-canary-tg`, `web-canary-release`, `web-canary-weights` under `web-canary`) becomes
    slot c's by aliases: its target group and the weights rule (the traffic rule now) are updated in place, its
    template and group replaced create-before-delete in that target group (their name prefix changes)."""
    written = SNAPSHOT["two-services-tls-canary"]["outputs"]
    live = {entry["release"]["asgName"]: 2 for entry in written["services"].values()}
    config = _two_services_with_tls_and_a_canary()

    run = _run("staging", config, stack_outputs={qualified("staging"): written}, live_desired=live)

    canary = run.outputs["services"]["web"]["canary"]
    assert canary["slot"] == "c"
    by_name = run.by_name()
    for key in (
        f"{TARGET_GROUP}::web-tgc",
        f"{LISTENER_RULE}::web-traffic-rule",
        "fleet:release:Release::web-release-c",
    ):
        assert len(legacy_aliases(by_name[key])) == 1, key
    assert legacy_aliases(run.one(TARGET_GROUP, "web-tg")) == []


def legacy_aliases(resource) -> list:
    """The URNs the program gave as aliases (the SDK adds `Alias` specs of its own for children)."""
    return [alias for alias in resource.options.aliases or [] if isinstance(alias, pulumi.Output)]
