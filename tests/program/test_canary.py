"""A canary is a second, fixed-size release of a service in a release slot of its own (its own target group),
taking a share of requests only once healthy; starting, changing or removing it never touches the live release."""

from __future__ import annotations

import base64
import copy

import pytest

from fleet.resource_types import (
    AUTOSCALING_GROUP,
    DOCKER_IMAGE,
    LAUNCH_TEMPLATE,
    LISTENER,
    LISTENER_RULE,
    METRIC_ALARM,
    SCALING_POLICY,
    TARGET_GROUP,
)
from fleetctl.simulation import FleetMocks, mock_arn, qualified
from program.promotion import UnpromotedImageError

CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
LIVE_RELEASE = {f"{LAUNCH_TEMPLATE}::web-release-launch-template", f"{AUTOSCALING_GROUP}::web-release-group"}
CANARY_VERSION = "1.1.0"
CANARY_TEMPLATE, CANARY_GROUP = "web-release-b-launch-template", "web-release-b-group"
"""A canary started beside a release in slot a runs in the first free slot, b."""
CANARY_TG = "web-tgb"


def with_canary(config, **canary):
    changed = copy.deepcopy(config)
    changed["fleet:services"]["web"]["canary"] = {
        "image": {"version": CANARY_VERSION, "build": "images/web"},
        **canary,
    }
    return changed


def without_canary(config):
    changed = copy.deepcopy(config)
    changed["fleet:services"]["web"].pop("canary", None)
    return changed


def canary_ref(digest_hex: str = "c") -> str:
    return "123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet-staging-web@sha256:" + digest_hex * 64


def descendants(run, root: str) -> set[str]:
    """`type::name` of every resource declared below the component `root`."""
    parents = {r.name: r.parent for r in run.resources if r.type.startswith("fleet:")}  # components: unique names
    found = set()
    for resource in run.resources:
        parent = resource.parent
        while parent is not None and parent != root:
            parent = parents.get(parent)
        if parent == root:
            found.add(f"{resource.type}::{resource.name}")
    return found


def tag_map(resource) -> dict[str, str]:
    tags = resource.inputs["tags"]
    return {tag["key"]: tag["value"] for tag in tags} if isinstance(tags, list) else tags


def user_data(resource) -> str:
    return base64.b64decode(resource.inputs["userData"]).decode()


@pytest.fixture
def canary_run(program, staging_config):
    return program("staging", with_canary(staging_config, weight=20, instances=2))


def test_a_stack_without_canary_declares_no_canary_resource_or_output(program, staging_config):
    run = program("staging", staging_config)

    assert [r.name for r in run.resources if "canary" in r.name] == []
    assert {rule.name for rule in run.of_type(LISTENER_RULE)} == {"web-track-rule", "web-traffic-rule"}
    assert [group.name for group in run.of_type(AUTOSCALING_GROUP)] == ["web-release-group"]
    assert "canary" not in run.outputs["services"]["web"]


def test_the_canarys_own_resources_are_children_of_one_canary_component_its_release_is_a_slots(canary_run):
    component = canary_run.one("fleet:canary:Canary", "web-canary")

    assert component.parent == "web"
    assert canary_run.one("fleet:release:Release", "web-release-b").parent == "web"
    assert descendants(canary_run, "web-canary") == {
        f"{LISTENER_RULE}::web-canary-rule",
        "fleet:alarms:Alarms::web-canary-alarms",
        f"{METRIC_ALARM}::web-canary-alarms-unhealthy-hosts",
        f"{METRIC_ALARM}::web-canary-alarms-5xx-rate",
        f"{METRIC_ALARM}::web-canary-alarms-p99-latency",
    }


def test_every_canary_resource_its_group_and_target_group_are_tagged_as_the_canary_track(canary_run):
    tagged = [
        canary_run.by_name()[key] for key in descendants(canary_run, "web-canary") if not key.startswith("fleet:")
    ]
    tagged += [canary_run.one(AUTOSCALING_GROUP, CANARY_GROUP), canary_run.one(TARGET_GROUP, CANARY_TG)]

    assert {r.name: tag_map(r).get("fleet:track") for r in tagged} == {r.name: "canary" for r in tagged}


def test_no_launch_template_carries_a_track_tag_a_finish_keeps_the_canarys(canary_run):
    templates = canary_run.of_type(LAUNCH_TEMPLATE)

    assert [
        name
        for t in templates
        for name in (t.inputs["tags"], *(s["tags"] for s in t.inputs["tagSpecifications"]))
        if "fleet:track" in name
    ] == []


def test_the_live_group_is_tagged_live_and_its_hosts_carry_no_track(canary_run):
    group = canary_run.one(AUTOSCALING_GROUP, "web-release-group")

    track = [tag for tag in group.inputs["tags"] if tag["key"] == "fleet:track"]
    assert track == [{"key": "fleet:track", "value": "live", "propagateAtLaunch": False}]


def test_canary_group_has_fixed_capacity_of_its_instances_and_no_scaling(canary_run):
    group = canary_run.one(AUTOSCALING_GROUP, CANARY_GROUP)

    sizes = ("minSize", "desiredCapacity", "maxSize", "waitForElbCapacity")
    assert [group.inputs[size] for size in sizes] == [2, 2, 2, 2]
    assert tag_map(group)["fleet:scaling"] == "off"
    assert [policy.name for policy in canary_run.of_type(SCALING_POLICY) if "web-b-" in policy.name] == []


def test_canary_group_is_health_gated_on_its_own_target_group(canary_run):
    group = canary_run.one(AUTOSCALING_GROUP, CANARY_GROUP)

    assert group.inputs["targetGroupArns"] == [mock_arn(TARGET_GROUP, CANARY_TG)]
    assert (group.inputs["healthCheckType"], group.inputs["waitForCapacityTimeout"]) == ("ELB", "10m")


def test_canary_target_group_checks_health_and_drains_like_the_live_one(canary_run):
    live, canary = canary_run.one(TARGET_GROUP, "web-tg"), canary_run.one(TARGET_GROUP, CANARY_TG)

    assert {k: v for k, v in canary.inputs.items() if k != "tags"} == {
        k: v for k, v in live.inputs.items() if k != "tags"
    }


def test_canary_hosts_are_hardened_and_booted_like_the_live_ones(canary_run):
    live = canary_run.one(LAUNCH_TEMPLATE, "web-release-launch-template").inputs
    canary = canary_run.one(LAUNCH_TEMPLATE, CANARY_TEMPLATE).inputs
    differing = {"userData", "description", "tags", "tagSpecifications", "namePrefix"}

    assert {k: v for k, v in canary.items() if k not in differing} == {
        k: v for k, v in live.items() if k not in differing
    }
    assert canary["namePrefix"] == "fleet-staging-web-b-"


def test_canary_boots_its_own_release_version_and_image_with_the_services_settings(canary_run):
    live = user_data(canary_run.one(LAUNCH_TEMPLATE, "web-release-launch-template"))
    canary = user_data(canary_run.one(LAUNCH_TEMPLATE, CANARY_TEMPLATE))
    entry = canary_run.outputs["services"]["web"]["canary"]

    assert f"readonly FLEET_RELEASE={entry['releaseId']}\n" in canary
    assert f"readonly FLEET_VERSION={CANARY_VERSION}\n" in canary
    assert f"readonly FLEET_IMAGE_REF={entry['imageRef']}\n" in canary
    same = [line for line in live.splitlines() if not line.startswith(("readonly FLEET_RELEASE", "readonly FLEET_VER"))]
    same = [line for line in same if not line.startswith("readonly FLEET_IMAGE_REF")]
    assert [line for line in same if line not in canary.splitlines()] == []


def test_a_building_stack_builds_the_canary_into_the_services_repository(canary_run):
    live, canary = canary_run.one(DOCKER_IMAGE, "web-image-image"), canary_run.one(DOCKER_IMAGE, "web-canary-image")

    assert canary.inputs["imageName"].rsplit(":", 1)[0] == live.inputs["imageName"].rsplit(":", 1)[0]
    assert canary.inputs["imageName"].rsplit(":", 1)[1].startswith(f"{CANARY_VERSION}-")
    assert canary.inputs["build"]["args"] == {"APP_VERSION": CANARY_VERSION}


def test_a_canary_build_is_tagged_apart_from_the_build_its_finish_makes(program, staging_config, canary_run):
    """ECR tags are immutable: the finish builds the same inputs as the service's image, and must push a new tag."""
    finished = copy.deepcopy(staging_config)
    finished["fleet:services"]["web"]["image"]["version"] = CANARY_VERSION

    after_finish = program("staging", finished).one(DOCKER_IMAGE, "web-image-image")

    canary_tag = canary_run.one(DOCKER_IMAGE, "web-canary-image").inputs["imageName"]
    assert after_finish.inputs["imageName"] != canary_tag


@pytest.mark.parametrize(("tls", "listener"), [(False, "web-listener"), (True, "web-https-listener")])
def test_header_rule_on_the_forwarding_listener_sends_marked_requests_to_the_canary(
    program, staging_config, tls, listener
):
    config = with_canary(staging_config)
    if tls:
        config["fleet:tls"] = {"certificateArn": CERTIFICATE}
    run = program("staging", config)
    rule = run.one(LISTENER_RULE, "web-canary-rule")

    assert rule.inputs["listenerArn"] == mock_arn(LISTENER, listener)
    assert rule.inputs["conditions"] == [{"httpHeader": {"httpHeaderName": "X-Fleet-Track", "values": ["canary"]}}]
    assert rule.inputs["actions"] == [{"type": "forward", "targetGroupArn": mock_arn(TARGET_GROUP, CANARY_TG)}]


@pytest.mark.parametrize("weight", [1, 10, 37, 50])
def test_the_traffic_rule_splits_every_other_request_live_and_canary_by_the_canary_weight(
    program, staging_config, weight
):
    run = program("staging", with_canary(staging_config, weight=weight))
    rule = run.one(LISTENER_RULE, "web-traffic-rule")

    (action,) = rule.inputs["actions"]
    assert action == {
        "type": "forward",
        "forward": {
            "targetGroups": [
                {"arn": mock_arn(TARGET_GROUP, "web-tg"), "weight": 100 - weight},
                {"arn": mock_arn(TARGET_GROUP, CANARY_TG), "weight": weight},
            ]
        },
    }
    assert rule.inputs["conditions"] == [{"pathPattern": {"values": ["*"]}}]
    assert rule.inputs["listenerArn"] == mock_arn(LISTENER, "web-listener")


def test_the_header_rule_is_evaluated_before_the_track_rule_and_both_before_the_traffic_rule(canary_run):
    header, track, traffic = (
        canary_run.one(LISTENER_RULE, name) for name in ("web-canary-rule", "web-track-rule", "web-traffic-rule")
    )

    assert header.inputs["priority"] < track.inputs["priority"] < traffic.inputs["priority"]


def test_canary_group_waits_for_the_rules_that_attach_it_and_the_traffic_rule_waits_for_both_groups(canary_run):
    group = canary_run.one(AUTOSCALING_GROUP, CANARY_GROUP)
    traffic = canary_run.one(LISTENER_RULE, "web-traffic-rule")

    assert [r._name for r in group.options.depends_on] == ["web-track-rule", "web-canary-rule"]
    assert [r._name for r in traffic.options.depends_on] == ["web-release-group", CANARY_GROUP]


def test_the_listeners_are_declared_as_without_a_canary(program, staging_config, canary_run):
    plain = program("staging", staging_config)

    for listener in plain.of_type(LISTENER):
        assert canary_run.one(LISTENER, listener.name).inputs == listener.inputs


def test_canary_alarms_watch_the_canary_target_group(canary_run):
    alarms = [alarm for alarm in canary_run.of_type(METRIC_ALARM) if alarm.parent == "web-canary-alarms"]

    assert sorted(alarm.inputs["name"] for alarm in alarms) == sorted(
        canary_run.outputs["services"]["web"]["canary"]["alarms"]
    )
    unhealthy = next(alarm for alarm in alarms if alarm.name.endswith("unhealthy-hosts"))
    assert unhealthy.inputs["dimensions"]["TargetGroup"] == f"targetgroup/{CANARY_TG}/73e2d6bc24d8a067"


def test_outputs_carry_the_canary_release_entry(canary_run):
    web = canary_run.outputs["services"]["web"]
    group = canary_run.one(AUTOSCALING_GROUP, CANARY_GROUP)

    assert web["canary"] == {
        "releaseId": web["canary"]["releaseId"],
        "version": CANARY_VERSION,
        "imageRef": web["canary"]["imageRef"],
        "hostImage": web["release"]["hostImage"],
        "instanceType": web["release"]["instanceType"],
        "asgName": group.resource_id,
        "launchTemplateId": canary_run.one(LAUNCH_TEMPLATE, CANARY_TEMPLATE).resource_id,
        "launchTemplateVersion": 1,
        "groupTrigger": web["canary"]["groupTrigger"],
        "slot": "b",
        "targetGroupArn": mock_arn(TARGET_GROUP, CANARY_TG),
        "since": web["canary"]["since"],
        "weight": 20,
        "instances": 2,
        "alarms": [
            f"fleet-staging-web-canary-{name}" for name in ("unhealthy-hosts", "target-5xx-rate", "p99-response-time")
        ],
    }
    assert web["canary"]["releaseId"] != web["release"]["releaseId"]
    assert web["canary"]["imageRef"].startswith("123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet-staging-web@")
    assert [entry["releaseId"] for entry in web["history"]] == [web["release"]["releaseId"]]


def live_release(run) -> dict[str, tuple[object, object, tuple[str, ...]]]:
    """The live release's launch template and group: inputs, replacement trigger and replace_on_changes."""
    resources = run.by_name()
    return {
        key: (resources[key].inputs, resources[key].replacement_trigger, resources[key].registration.replace_on_changes)
        for key in LIVE_RELEASE
    }


CANARY_CHANGES = {
    "start": lambda config: with_canary(config),
    "weight": lambda config: with_canary(config, weight=40),
    "image": lambda config: with_canary(config, image={"version": "1.2.0", "build": "images/web"}),
    "instances": lambda config: with_canary(config, instances=3),
    "host image": lambda config: with_canary(config, hostImage="ami-0fedcba9876543210"),
    "abort": without_canary,
}


def canary_transition(program, update, staging_config, change):
    """The runs of a deploy that starts, changes or aborts a canary, and of the same deploy without that change."""
    config = staging_config if change is CANARY_CHANGES["start"] else with_canary(staging_config)
    before = program("staging", config)
    return update("staging", config, before), update("staging", change(staging_config), before)


@pytest.mark.parametrize("change", CANARY_CHANGES.values(), ids=CANARY_CHANGES.keys())
def test_starting_changing_or_aborting_a_canary_leaves_the_live_release_as_declared(
    program, update, staging_config, change
):
    unchanged, changed = canary_transition(program, update, staging_config, change)

    assert live_release(changed) == live_release(unchanged)


CANARY_SLOT = (f"{TARGET_GROUP}::{CANARY_TG}", f"{LISTENER_RULE}::web-traffic-rule")
"""What a canary's start or abort changes besides its own resources: its slot's target group's role tag, and the
traffic rule's forward."""


def canary_free(run) -> dict[str, dict]:
    return {
        key: r.inputs
        for key, r in run.by_name().items()
        if "canary" not in key and "web-release-b" not in key and key not in CANARY_SLOT
    }


@pytest.mark.parametrize("change", CANARY_CHANGES.values(), ids=CANARY_CHANGES.keys())
def test_starting_changing_or_aborting_a_canary_leaves_every_other_service_resource_as_declared(
    program, update, staging_config, change
):
    unchanged, changed = canary_transition(program, update, staging_config, change)

    assert canary_free(changed) == canary_free(unchanged)


def test_a_weight_change_updates_only_the_traffic_rule(program, update, staging_config):
    unchanged, changed = canary_transition(program, update, staging_config, CANARY_CHANGES["weight"])

    before, after = unchanged.by_name(), changed.by_name()
    assert {key for key, resource in after.items() if resource.inputs != before[key].inputs} == {
        f"{LISTENER_RULE}::web-traffic-rule"
    }
    assert {key: r.replacement_trigger for key, r in after.items()} == {
        key: r.replacement_trigger for key, r in before.items()
    }


def test_a_new_canary_image_is_a_new_canary_release(program, update, staging_config):
    before = program("staging", with_canary(staging_config))

    after = update("staging", with_canary(staging_config, image={"version": "1.2.0", "build": "images/web"}), before)

    old, new = before.outputs["services"]["web"]["canary"], after.outputs["services"]["web"]["canary"]
    assert new["releaseId"] != old["releaseId"]
    assert after.one(LAUNCH_TEMPLATE, CANARY_TEMPLATE).replacement_trigger == new["releaseId"]
    assert before.one(LAUNCH_TEMPLATE, CANARY_TEMPLATE).replacement_trigger == old["releaseId"]


def finish(program, update, staging_config):
    """A canary running beside release 1.0.0, and the update that finishes it (its image becomes the service's)."""
    running = program("staging", with_canary(staging_config))
    finished = copy.deepcopy(staging_config)
    finished["fleet:services"]["web"]["image"] = {"version": CANARY_VERSION, "build": "images/web"}
    return running, update("staging", finished, running)


def test_finishing_a_canary_makes_its_slot_live_and_the_former_live_release_warm(program, update, staging_config):
    running, after = finish(program, update, staging_config)

    canary, web = running.outputs["services"]["web"]["canary"], after.outputs["services"]["web"]
    assert (web["release"]["releaseId"], web["release"]["slot"], "canary" in web) == (canary["releaseId"], "b", False)
    assert (web["warm"]["releaseId"], web["warm"]["slot"]) == (
        running.outputs["services"]["web"]["release"]["releaseId"],
        "a",
    )


def test_finishing_a_canary_boots_nothing_its_template_is_declared_as_it_was(program, update, staging_config):
    running, after = finish(program, update, staging_config)

    before, now = running.one(LAUNCH_TEMPLATE, CANARY_TEMPLATE), after.one(LAUNCH_TEMPLATE, CANARY_TEMPLATE)
    assert (now.inputs, now.replacement_trigger) == (before.inputs, before.replacement_trigger)
    assert (
        after.one(AUTOSCALING_GROUP, CANARY_GROUP).replacement_trigger
        == running.outputs["services"]["web"]["canary"]["groupTrigger"]
    )


def test_finishing_a_canary_scales_its_group_in_place_to_the_live_capacity(program, update, staging_config):
    _, after = finish(program, update, staging_config)

    group = after.one(AUTOSCALING_GROUP, CANARY_GROUP).inputs
    assert (group["minSize"], group["desiredCapacity"], group["maxSize"], group["waitForElbCapacity"]) == (2, 2, 6, 2)


def prod_with_canary(prod_config, ref: str):
    return with_canary(prod_config, image={"version": CANARY_VERSION, "ref": ref})


def test_a_promoted_canary_runs_an_image_its_source_stack_deployed(program, prod_config, staging_outputs):
    source = staging_outputs()
    source["services"]["web"]["history"].append({"releaseId": "newer", "version": "1.1.0", "imageRef": canary_ref()})

    run = program("prod", prod_with_canary(prod_config, canary_ref()), stack_outputs={qualified("staging"): source})

    assert run.outputs["services"]["web"]["canary"]["imageRef"] == canary_ref()
    assert run.outputs["promotion"]["verified"] is True


def test_a_promoted_canary_refuses_an_image_its_source_never_deployed_before_any_host_runs_it(
    program, prod_config, staging_outputs
):
    mocks = FleetMocks()

    with pytest.raises(UnpromotedImageError, match=r"fleet:services\.web\.canary\.image\.ref: .* never deployed"):
        program(
            "prod",
            prod_with_canary(prod_config, canary_ref()),
            stack_outputs={qualified("staging"): staging_outputs()},
            mocks=mocks,
        )

    assert (LAUNCH_TEMPLATE, "web-canary-release-launch-template") not in mocks.inputs


def test_a_promoted_canary_keeps_an_image_this_stack_ran_as_its_canary(program, update, prod_config, staging_outputs):
    """Staging moved on since the canary started: a weight change still passes the guard."""
    source = staging_outputs()
    source["services"]["web"]["history"].append({"releaseId": "newer", "version": "1.1.0", "imageRef": canary_ref()})
    running = program("prod", prod_with_canary(prod_config, canary_ref()), stack_outputs={qualified("staging"): source})

    after = update(
        "prod",
        with_canary(prod_config, image={"version": CANARY_VERSION, "ref": canary_ref()}, weight=30),
        running,
        stack_outputs={qualified("staging"): staging_outputs()},
    )

    assert after.outputs["promotion"]["verified"] is True
