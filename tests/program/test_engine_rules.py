"""The engine rules of tests/engine_model.py that the failure path did not need before: what a failed update
writes as outputs (rule 7), `--target` (rule 9), delete-before-replace (rule 10), a failed launch (rule 11), the
timeout a group is deleted with (rule 12).

A release runs in a slot of its own (fleet/slots.py): the serving group is never replaced by it, only turned warm,
or with `warmRollbackMinutes: 0` retired (deleted at the end of the update). The tests about deleting the former
group use the latter."""

from __future__ import annotations

import copy

import components.release
from fleet.names import MAX_DRAIN_SECONDS
from fleet.resource_types import AUTOSCALING_GROUP, LOG_GROUP
from fleet.timeouts import GROUP_DELETE_MINUTES
from tests.checkout import stack_file
from tests.engine_model import DEFAULT_DELETE_TIMEOUT_MINUTES, EngineModel
from tests.program.test_failed_release import SERVING, group_step, release


def without_window(config: dict) -> dict:
    """The config with the warm window off: a release retires the former live release at the end of the update."""
    changed = copy.deepcopy(config)
    changed["fleet:services"]["web"]["warmRollbackMinutes"] = 0
    return changed


def live_version(model: EngineModel) -> str:
    return model.outputs["services"]["web"]["release"]["version"]


def serving(version: str = "1.0.0", window: bool = True) -> EngineModel:
    model = EngineModel("staging")
    config = release(stack_file("staging"), version)
    assert model.up(config if window else without_window(config)).succeeded
    return model


def test_a_failed_gate_registers_no_outputs_so_the_stack_keeps_its_last_ones():
    model = serving()
    before = copy.deepcopy(model.outputs)

    failed = model.up(release(stack_file("staging"), "1.0.1"), healthy=False)

    assert not failed.succeeded
    assert failed.exported == {}
    assert model.outputs == before


def test_a_failure_after_every_gate_passed_writes_the_new_release_as_live_which_it_is():
    model = serving()

    failed = model.up(release(stack_file("staging"), "1.0.1"), failing=frozenset({"web-alarms-5xx-rate"}))

    assert not failed.succeeded
    assert live_version(model) == "1.0.1"
    assert model.outputs["services"]["web"]["warm"]["version"] == "1.0.0"
    assert [(group.healthy, group.pending_delete) for group in model.groups()] == [(True, False), (True, False)]
    assert model.healthy_hosts() == 2 * SERVING


def test_after_outputs_written_by_a_failed_update_the_next_one_keeps_the_gated_group_and_deletes_the_old():
    model = serving(window=False)
    new = without_window(release(stack_file("staging"), "1.0.1"))
    model.up(new, failing=frozenset({"web-alarms-5xx-rate"}))
    gated = model.groups()[1]

    update = model.up(new)

    assert update.succeeded
    assert group_step(update) == "same"
    assert model.groups() == [gated]
    assert model.healthy_hosts() == SERVING


def two_services(version: str) -> dict:
    config = release(stack_file("staging"), version)
    config["fleet:services"]["api"] = {**copy.deepcopy(config["fleet:services"]["web"]), "publicPort": 81}
    return config


def test_a_targeted_release_of_one_service_leaves_the_other_as_it_is_and_gates_the_new_group():
    model = EngineModel("staging")
    model.up(two_services("1.0.0"))
    api_group = next(group for group in model.groups() if group.name == "api-release-group")

    web_release = {"web-release-b-launch-template", "web-release-b-group", "web-tgb", "web-track-rule"}
    update = model.up(two_services("1.0.1"), targets=frozenset({*web_release, "web-traffic-rule", "web-release-group"}))

    assert update.succeeded
    assert group_step(update) == "create"
    api = {urn.rsplit("::", 1)[-1]: kind for urn, kind in update.steps.items() if "::api-release" in urn}
    assert api == {
        "api-release-launch-template": "same",
        "api-release-group": "same",
        "api-release-scale-cpu": "same",
        # api's own release of 1.0.1, in its slot b: not targeted, so not created
        "api-release-b-launch-template": "skipped create",
        "api-release-b-group": "skipped create",
        "api-release-b-scale-cpu": "skipped create",
    }
    assert update.deleted == []
    assert api_group in model.groups()
    assert model.healthy_hosts() == 3 * SERVING  # api's, web's new release and web's warm one


def test_targeting_a_release_template_alone_creates_a_template_no_group_uses_and_deletes_nothing():
    """A release's template is in a slot of its own: targeting it alone no longer replaces (and deletes) the
    template the serving group launches from; it leaves a template behind that the next full update uses."""
    model = serving()
    [group] = model.groups()

    update = model.up(release(stack_file("staging"), "1.0.1"), targets=frozenset({"web-release-b-launch-template"}))

    assert update.succeeded
    assert update.steps[next(urn for urn in update.steps if urn.endswith("::web-release-b-launch-template"))] == (
        "create"
    )
    assert update.deleted == []
    assert model.groups() == [group]


def test_a_delete_before_replace_deletes_the_dependent_pending_deletes_at_once_but_never_a_group():
    model = serving(window=False)
    new = without_window(release(stack_file("staging"), "1.0.1"))
    model.up(new, healthy=False)  # the failed group in slot b has init errors
    serving_group = model.groups()[0]

    update = model.up(new, delete_first=frozenset({"web-logs"}))

    at_once = [(entry.type, entry.pending_delete) for entry in update.deleted_at_once]
    assert (LOG_GROUP, False) in at_once
    assert all(kind != AUTOSCALING_GROUP for kind, _ in at_once)
    assert update.succeeded
    assert serving_group in update.deleted[len(update.deleted_at_once) :]  # at the end, once the new one is gated
    assert model.healthy_hosts() == SERVING


def test_a_failed_launch_fails_the_release_at_once_and_the_serving_group_keeps_serving():
    model = serving()

    failed = model.up(release(stack_file("staging"), "1.0.1"), failed_launch=True)

    assert not failed.succeeded
    assert live_version(model) == "1.0.0"
    assert [(group.pending_delete, group.init_errors) for group in model.groups()] == [(False, False), (False, True)]
    assert model.healthy_hosts() >= SERVING


def test_the_retry_after_a_failed_launch_gates_a_fresh_group_before_the_serving_one_is_deleted():
    model = serving()
    model.up(release(stack_file("staging"), "1.0.1"), failed_launch=True)

    retry = model.up(release(stack_file("staging"), "1.0.1"))

    assert retry.succeeded
    assert group_step(retry) == "replace"
    assert live_version(model) == "1.0.1"
    assert model.healthy_hosts() == 2 * SERVING  # the new live release and the warm one


def draining(version: str, seconds: int) -> dict:
    """A release with the warm window off, so the former group is deleted in the update that releases."""
    config = without_window(release(stack_file("staging"), version))
    config["fleet:services"]["web"]["drainSeconds"] = seconds
    return config


def deployed_by_an_older_fleet(monkeypatch, config: dict) -> EngineModel:
    """A stack whose groups an older fleet deployed: with the provider's default delete timeout (rule 12)."""
    with monkeypatch.context() as patch:
        patch.setattr(components.release, "GROUP_DELETE_MINUTES", DEFAULT_DELETE_TIMEOUT_MINUTES)
        model = EngineModel("staging")
        assert model.up(config).succeeded
    return model


def test_a_release_with_the_longest_drain_deletes_the_old_group_within_the_timeout_fleet_sets():
    model = EngineModel("staging")
    model.up(draining("1.0.0", MAX_DRAIN_SECONDS))

    update = model.up(draining("1.0.1", MAX_DRAIN_SECONDS))

    assert update.succeeded
    assert [group.inputs["namePrefix"] for group in model.groups()] == ["fleet-staging-web-b-"]
    assert model.healthy_hosts() == SERVING


def test_after_upgrading_fleet_a_first_release_with_a_long_drain_fails_its_delete_and_keeps_both_groups(monkeypatch):
    model = deployed_by_an_older_fleet(monkeypatch, draining("1.0.0", 1200))

    first = model.up(draining("1.0.1", 1200))
    retry = model.up(draining("1.0.1", 1200))

    assert not first.succeeded
    assert live_version(model) == "1.0.1"
    assert retry.succeeded
    assert group_step(retry) == "same"
    assert len(model.groups()) == 1
    assert model.healthy_hosts() == SERVING


def test_after_upgrading_fleet_a_deploy_that_is_not_a_release_stores_the_new_timeout_on_the_serving_group(
    monkeypatch,
):
    model = deployed_by_an_older_fleet(monkeypatch, draining("1.0.0", 1200))

    assert model.up(draining("1.0.0", 1200)).succeeded
    update = model.up(draining("1.0.1", 1200))

    assert update.succeeded
    assert model.groups()[0].delete_timeout_minutes == GROUP_DELETE_MINUTES
