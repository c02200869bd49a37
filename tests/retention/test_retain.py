"""Prod pulls staging's images by digest: `fleetctl retain prod` keeps each one prod runs or can roll back to from
expiring under staging's lifecycle policy. ECR calls go to a real moto_server; the policy is the one the program
declares, applied with the documented ECR rules (ecr_lifecycle.py), since moto never applies one."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from fleet.resource_types import ECR_LIFECYCLE_POLICY
from fleetctl.cli import main
from tests.checkout import stack_file
from tests.retention.ecr_lifecycle import Image, expired
from tests.retention.staging_repository import REPOSITORY

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def prod_outputs(tmp_path, live: str, *older: str) -> str:
    """Prod's outputs file: `live` runs, `older` are its rollback history (newest first)."""
    entries = [
        {"releaseId": f"{index:012x}", "version": f"1.0.{index}", "imageRef": ref}
        for index, ref in enumerate([live, *older])
    ]
    path = tmp_path / "prod-outputs.json"
    path.write_text(json.dumps({"services": {"web": {"release": entries[0], "history": entries}}}))
    return str(path)


def with_canary(outputs_path: str, canary: str) -> str:
    """The outputs file, with a canary of the service running `canary`."""
    with open(outputs_path) as file:
        outputs = json.load(file)
    outputs["services"]["web"]["canary"] = {"releaseId": "c" * 12, "version": "1.1.0", "imageRef": canary}
    with open(outputs_path, "w") as file:
        json.dump(outputs, file)
    return outputs_path


def tags_by_digest(ecr) -> dict[str, set[str]]:
    details = ecr.describe_images(repositoryName=REPOSITORY)["imageDetails"]
    return {detail["imageDigest"]: set(detail.get("imageTags", [])) for detail in details}


def digest(ref: str) -> str:
    return ref.split("@", 1)[1]


@pytest.fixture
def staging_lifecycle_policy(program) -> dict:
    """The lifecycle policy the program declares for staging's repository."""
    return json.loads(program("staging", stack_file("staging")).one(ECR_LIFECYCLE_POLICY).inputs["policy"])


def expired_after(ecr, policy: dict, pushed_in_order: list[str]) -> set[str]:
    """What staging's policy expires from the repository as moto holds it. moto stamps pushes to the second, so the
    push times come from the order the test pushed in, a minute apart."""
    pushed_at = {
        digest(ref): NOW - timedelta(minutes=len(pushed_in_order) - i) for i, ref in enumerate(pushed_in_order)
    }
    images = [Image(d, frozenset(tags), pushed_at[d]) for d, tags in tags_by_digest(ecr).items()]
    return expired(policy, images, NOW)


def test_retain_tags_the_image_prod_runs_and_each_one_it_can_roll_back_to(ecr, push, tmp_path):
    v1, v2, v3, unrelated = push("1.0.1-a"), push("1.0.2-b"), push("1.0.3-c"), push("1.0.4-d")

    assert main(["retain", "prod", "--from-outputs", prod_outputs(tmp_path, v3, v2, v1)]) == 0

    assert tags_by_digest(ecr) == {
        digest(v1): {"1.0.1-a", "keep-prod-000000000002"},
        digest(v2): {"1.0.2-b", "keep-prod-000000000001"},
        digest(v3): {"1.0.3-c", "keep-prod-000000000000"},
        digest(unrelated): {"1.0.4-d"},
    }


def test_retain_also_keeps_the_image_of_the_canary_prod_runs(ecr, push, tmp_path):
    live, canary = push("1.0.0-a"), push("1.1.0-b")

    assert main(["retain", "prod", "--from-outputs", with_canary(prod_outputs(tmp_path, live), canary)]) == 0

    assert tags_by_digest(ecr)[digest(canary)] == {"1.1.0-b", "keep-prod-cccccccccccc"}


def test_a_gone_canary_image_fails_retain_like_a_gone_live_image(ecr, push, tmp_path, capsys):
    live = push("1.0.0-a")
    gone = live.replace(digest(live), "sha256:" + "0" * 64)

    assert main(["retain", "prod", "--from-outputs", with_canary(prod_outputs(tmp_path, live), gone)]) == 1
    assert "1.1.0 (cccccccccccc): image gone, its hosts cannot be replaced" in capsys.readouterr().out


def test_retain_twice_changes_nothing_and_says_the_images_are_kept(ecr, push, tmp_path, capsys):
    outputs = prod_outputs(tmp_path, push("1.0.2-b"), push("1.0.1-a"))
    main(["retain", "prod", "--from-outputs", outputs])
    before = tags_by_digest(ecr)
    capsys.readouterr()

    assert main(["retain", "prod", "--from-outputs", outputs]) == 0

    assert tags_by_digest(ecr) == before
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()] == ["kept", "kept"]


def test_images_prod_runs_or_can_roll_back_to_outlive_forty_newer_staging_builds(
    ecr, push, tmp_path, staging_lifecycle_policy
):
    releases = [push(f"1.0.{i}-r") for i in range(6)]
    main(["retain", "prod", "--from-outputs", prod_outputs(tmp_path, releases[2], releases[1], releases[0])])
    builds = [push(f"2.0.{i}-b") for i in range(40)]

    gone = expired_after(ecr, staging_lifecycle_policy, releases + builds)

    assert {digest(ref) for ref in releases[:3]} & gone == set()
    assert gone == {digest(ref) for ref in releases[3:] + builds[:10]}


def test_without_retain_staging_builds_expire_the_image_prod_runs(ecr, push, staging_lifecycle_policy):
    """Why retain exists: the last-30 rule alone expires prod's live image after 30 newer staging builds."""
    live = push("1.0.0-r")
    builds = [push(f"2.0.{i}-b") for i in range(30)]

    assert digest(live) in expired_after(ecr, staging_lifecycle_policy, [live, *builds])


def expire(ecr, ref: str) -> str:
    """What the lifecycle policy does to an image: delete it (and its tags) by digest."""
    ecr.batch_delete_image(repositoryName=REPOSITORY, imageIds=[{"imageDigest": digest(ref)}])
    return ref


def test_a_gone_live_image_fails_retain_with_what_it_means(ecr, push, tmp_path, capsys):
    outputs = prod_outputs(tmp_path, expire(ecr, push("1.0.0-r")))

    assert main(["retain", "prod", "--from-outputs", outputs]) == 1
    assert "its hosts cannot be replaced or scaled out" in capsys.readouterr().out
    assert main(["retain", "prod", "--from-outputs", outputs, "--missing-ok"]) == 0


def test_a_gone_history_image_only_warns_and_the_others_are_still_kept(ecr, push, tmp_path, capsys):
    live, gone = push("1.0.1-a"), expire(ecr, push("1.0.0-r"))

    assert main(["retain", "prod", "--from-outputs", prod_outputs(tmp_path, live, gone)]) == 0

    assert "`fleetctl rollback` to it would fail" in capsys.readouterr().out
    assert "keep-prod-000000000000" in tags_by_digest(ecr)[digest(live)]


@pytest.mark.parametrize("ref", ["nginx:latest", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:1.0.0"])
def test_retain_refuses_outputs_whose_image_is_not_pinned_by_digest(ecr, tmp_path, capsys, ref):
    assert main(["retain", "prod", "--from-outputs", prod_outputs(tmp_path, ref)]) == 2
    assert "prod outputs services.web.release.imageRef is not an ECR reference pinned by digest" in (
        capsys.readouterr().err
    )
