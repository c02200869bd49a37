"""The stack exports its last releases, so a rollback is a promotion of an artifact already built."""

from __future__ import annotations

from fleetctl.simulation import qualified


def entry(n: int) -> dict:
    return {"releaseId": f"{n:012d}", "version": f"0.{n}.0", "imageRef": f"repo@sha256:{n:064d}"}


def history(program, config, earlier: list[dict]) -> list[dict]:
    outputs = {"services": {"web": {"release": earlier[0] if earlier else {}, "history": earlier}}}
    run = program("staging", config, stack_outputs={qualified("staging"): outputs}, live_desired={"": 2})
    return run.outputs["services"]["web"]["history"]


def test_first_deploy_history_holds_only_the_live_release(program, staging_config):
    run = program("staging", staging_config)

    web = run.outputs["services"]["web"]
    assert web["history"] == [{k: web["release"][k] for k in web["history"][0]}]


def test_new_release_goes_first_and_earlier_ones_follow(program, staging_config):
    result = history(program, staging_config, [entry(2), entry(1)])

    assert [e["version"] for e in result] == ["1.0.0", "0.2.0", "0.1.0"]


def test_history_keeps_the_last_five_releases(program, staging_config):
    result = history(program, staging_config, [entry(n) for n in range(9, 0, -1)])

    assert [e["version"] for e in result] == ["1.0.0", "0.9.0", "0.8.0", "0.7.0", "0.6.0"]


def test_redeploying_the_live_release_does_not_add_an_entry(program, staging_config):
    live = program("staging", staging_config).outputs["services"]["web"]["history"][0]

    result = history(program, staging_config, [live, entry(1)])

    assert [e["releaseId"] for e in result] == [live["releaseId"], entry(1)["releaseId"]]
