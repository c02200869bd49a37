"""A release replaces the launch template and the autoscaling group create-before-delete; nothing else."""

from __future__ import annotations

import pytest

from fleet.resource_types import AUTOSCALING_GROUP, DOCKER_IMAGE, LAUNCH_TEMPLATE, LOAD_BALANCER, TARGET_GROUP
from fleetctl.simulation import qualified

RELEASE_RESOURCES = {f"{LAUNCH_TEMPLATE}::web-release-launch-template", f"{AUTOSCALING_GROUP}::web-release-group"}


def triggers(run) -> dict[str, object]:
    return {key: r.replacement_trigger for key, r in run.by_name().items() if r.replacement_trigger is not None}


def changed_inputs(before, after) -> set[str]:
    old, new = before.by_name(), after.by_name()
    assert old.keys() == new.keys(), "a release must not add or remove resources"
    return {key for key in old if old[key].inputs != new[key].inputs}


RELEASE_CHANGES = {
    "image version": {"image": {"version": "1.0.1", "build": "images/web"}},
    "host image": {"hostImage": "ami-0fedcba9876543210"},
    "instance type": {"instanceType": "t3.medium"},
}


@pytest.mark.parametrize("change", RELEASE_CHANGES.values(), ids=RELEASE_CHANGES.keys())
def test_release_change_gives_the_launch_template_and_group_a_new_replacement_trigger(
    program, staging_config, with_service, change
):
    before = program("staging", staging_config)
    after = program("staging", with_service(staging_config, **change))

    old, new = triggers(before), triggers(after)
    assert old.keys() == new.keys() == RELEASE_RESOURCES
    assert all(old[key] != new[key] for key in RELEASE_RESOURCES)


@pytest.mark.parametrize("change", RELEASE_CHANGES.values(), ids=RELEASE_CHANGES.keys())
def test_release_change_leaves_load_balancer_target_group_listener_and_repository_untouched(
    program, staging_config, with_service, change
):
    before = program("staging", staging_config)
    after = program("staging", with_service(staging_config, **change))

    rebuilt_image = {f"{DOCKER_IMAGE}::web-image-image"} if "image" in change else set()
    assert changed_inputs(before, after) == RELEASE_RESOURCES | rebuilt_image


def test_promoting_a_new_reference_to_prod_is_a_release(program, prod_config, with_service, staging_outputs):
    new_ref = prod_config["fleet:services"]["web"]["image"]["ref"][:-64] + "c" * 64
    promoted = with_service(prod_config, image={"version": "1.1.0", "ref": new_ref})
    refs = {qualified("staging"): staging_outputs(new_ref)}

    before = program("prod", prod_config, stack_outputs={qualified("staging"): staging_outputs()})
    after = program("prod", promoted, stack_outputs=refs)

    assert changed_inputs(before, after) == RELEASE_RESOURCES
    assert triggers(before) != triggers(after)


def test_build_context_change_without_version_bump_is_still_a_release(program, staging_config, tmp_path, monkeypatch):
    import fleet.release

    before = program("staging", staging_config)
    real_read_tree = fleet.release.read_tree
    monkeypatch.setattr(fleet.release, "read_tree", lambda path: {**real_read_tree(path), "extra.txt": b"new"})
    after = program("staging", staging_config)

    assert triggers(before) != triggers(after)


def test_capacity_change_is_not_a_release(program, update, staging_config, with_service):
    before = update("staging", staging_config, program("staging", staging_config))
    after = update("staging", with_service(staging_config, capacity={"min": 3, "desired": 4, "max": 8}), before)

    assert triggers(before) == triggers(after)
    assert changed_inputs(before, after) == {f"{AUTOSCALING_GROUP}::web-release-group"}
    group = after.one(AUTOSCALING_GROUP).inputs
    assert (group["minSize"], group["desiredCapacity"], group["maxSize"]) == (3, 4, 8)


def test_scaling_updates_the_group_in_place_with_the_same_launch_template_and_name_prefix(
    program, update, staging_config, with_service
):
    first = program("staging", staging_config)
    before = first.one(AUTOSCALING_GROUP).inputs
    changed_config = with_service(staging_config, capacity={"min": 2, "desired": 5, "max": 8})
    after = update("staging", changed_config, first).one(AUTOSCALING_GROUP)

    changed = {key for key in before.keys() | after.inputs.keys() if before.get(key) != after.inputs.get(key)}
    assert changed == {"desiredCapacity", "maxSize", "waitForElbCapacity"}


def test_group_is_replaced_whenever_its_launch_template_is(program, staging_config):
    run = program("staging", staging_config)

    assert run.one(AUTOSCALING_GROUP).replace_with == ["web-release-launch-template"]


def test_launch_template_is_never_updated_in_place(program, staging_config):
    run = program("staging", staging_config)

    assert run.one(LAUNCH_TEMPLATE).options.replace_on_changes == ["*"]


def test_no_resource_is_deleted_before_its_replacement_exists(program, staging_config, prod_config, staging_outputs):
    runs = [
        program("staging", staging_config),
        program("prod", prod_config, stack_outputs={qualified("staging"): staging_outputs()}),
    ]

    assert [r.name for run in runs for r in run.resources if r.options.delete_before_replace] == []


def test_replaced_resources_are_named_by_prefix_so_old_and_new_can_coexist(program, staging_config):
    run = program("staging", staging_config)

    for resource in (run.one(LAUNCH_TEMPLATE), run.one(AUTOSCALING_GROUP)):
        assert "name" not in resource.inputs
        assert resource.inputs["namePrefix"] == "fleet-staging-web-"
    assert all("name" not in group.inputs for group in run.of_type(TARGET_GROUP))


def test_group_runs_the_templates_own_version_not_latest(program, staging_config):
    run = program("staging", staging_config)

    assert run.one(AUTOSCALING_GROUP).inputs["launchTemplate"] == {
        "id": run.one(LAUNCH_TEMPLATE).resource_id,
        "version": "1",
    }


def test_release_id_is_known_before_the_image_is_built(program, staging_config):
    run = program("staging", staging_config)

    trigger = run.one(LAUNCH_TEMPLATE).replacement_trigger
    assert isinstance(trigger, str)
    assert len(trigger) == 12
    assert run.outputs["services"]["web"]["release"]["releaseId"] == trigger


def test_release_resources_carry_the_release_tag_and_long_lived_ones_do_not(program, staging_config):
    run = program("staging", staging_config)
    release_id = run.one(LAUNCH_TEMPLATE).replacement_trigger

    template = run.one(LAUNCH_TEMPLATE).inputs
    assert template["tags"]["fleet:release"] == release_id
    assert {spec["resourceType"] for spec in template["tagSpecifications"]} == {"instance", "volume"}
    assert all(spec["tags"]["fleet:release"] == release_id for spec in template["tagSpecifications"])
    group_tags = {t["key"]: t for t in run.one(AUTOSCALING_GROUP).inputs["tags"]}
    assert group_tags["fleet:release"] == {"key": "fleet:release", "value": release_id, "propagateAtLaunch": True}
    for long_lived in (run.one(TARGET_GROUP, "web-tg"), run.one(LOAD_BALANCER)):
        tags = long_lived.inputs["tags"]
        assert "fleet:release" not in tags
        assert tags["fleet:stack"] == "staging"
