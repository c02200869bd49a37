"""The stack outputs: written in one shape, read back by the next run and fleetctl, older shapes tolerated."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from fleet.outputs import (
    CanaryRelease,
    CapacityOutputs,
    DeployedRelease,
    OutputsError,
    ReleaseEntry,
    ServiceOutputs,
    WarmRelease,
    parse_service,
    parse_services,
    release_history,
    write_service,
)

ENTRY = ReleaseEntry(
    release_id="0123456789ab",
    version="1.0.0",
    image_ref="repo@sha256:" + "a" * 64,
    host_image="ami-0abc1234def567890",
    instance_type="t3.small",
)
RELEASE = DeployedRelease(
    **vars(ENTRY),
    asg_name="fleet-staging-web-0123456789ab",
    launch_template_id="lt-0abc",
    launch_template_version=1,
    group_trigger="0123456789ab-1234abcd",
)
SERVICE = ServiceOutputs(
    url="http://alb.example.com",
    alarms=("fleet-staging-web-unhealthy-hosts",),
    target_group_arn="arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/1",
    image_digest=None,
    port=8080,
    public_port=80,
    health_check_path="/healthz",
    capacity=CapacityOutputs(min=2, desired=2, max=6),
    release=RELEASE,
    history=(ENTRY,),
)


def test_a_service_is_written_with_the_keys_the_next_run_reads_back() -> None:
    assert write_service(SERVICE) == {
        "url": "http://alb.example.com",
        "alarms": ["fleet-staging-web-unhealthy-hosts"],
        "targetGroupArn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/1",
        "imageDigest": None,
        "port": 8080,
        "publicPort": 80,
        "healthCheckPath": "/healthz",
        "capacity": {"min": 2, "desired": 2, "max": 6},
        "release": {
            "releaseId": "0123456789ab",
            "version": "1.0.0",
            "imageRef": "repo@sha256:" + "a" * 64,
            "hostImage": "ami-0abc1234def567890",
            "instanceType": "t3.small",
            "asgName": "fleet-staging-web-0123456789ab",
            "launchTemplateId": "lt-0abc",
            "launchTemplateVersion": 1,
            "groupTrigger": "0123456789ab-1234abcd",
        },
        "history": [
            {
                "releaseId": "0123456789ab",
                "version": "1.0.0",
                "imageRef": "repo@sha256:" + "a" * 64,
                "hostImage": "ami-0abc1234def567890",
                "instanceType": "t3.small",
            }
        ],
    }


def test_written_outputs_read_back_as_the_same_record_after_the_engine_turns_numbers_into_floats() -> None:
    written = json.loads(json.dumps(write_service(SERVICE)), parse_int=float)

    assert parse_service(written, "web") == SERVICE


def test_a_canary_is_written_only_when_there_is_one() -> None:
    canary = CanaryRelease(
        **{**vars(RELEASE), "target_group_arn": "arn:tg/canary"}, weight=10, instances=1, alarms=("canary-5xx",)
    )

    written = write_service(ServiceOutputs(**{**vars(SERVICE), "canary": canary}))

    assert "canary" not in write_service(SERVICE)
    assert list(written["canary"]) == [*written["release"], "targetGroupArn", "weight", "instances", "alarms"]
    assert parse_service(written, "web").canary == canary


def test_outputs_of_older_versions_read_with_what_they_lack_as_none() -> None:
    older = {"release": {"releaseId": "0123456789ab", "asgName": "fleet-staging-web-1"}, "port": 8080.0}

    parsed = parse_service(older, "web")

    assert parsed.release == DeployedRelease(release_id="0123456789ab", asg_name="fleet-staging-web-1")
    assert (parsed.port, parsed.capacity, parsed.history, parsed.alarms) == (8080, None, (), ())


def test_an_older_history_entry_is_written_back_as_it_was() -> None:
    older = {"releaseId": "ba9876543210", "version": "0.9.0", "imageRef": "repo@sha256:" + "b" * 64}
    previous = parse_service({"history": [older]}, "web")

    history = write_service(ServiceOutputs(history=release_history(ENTRY, previous)))["history"]

    assert history[1] == older


@pytest.mark.parametrize(
    ("outputs", "message"),
    [
        ({"release": ["not", "an", "object"]}, "services.web.release must be an object"),
        ({"release": {"imageRef": 5}}, "services.web.release.imageRef must be a string; got 5"),
        ({"port": 80.5}, "services.web.port must be a whole number; got 80.5"),
        ({"alarms": "fleet-prod-web-5xx"}, "services.web.alarms must be a list of alarm names"),
        ({"history": [{}, "entry"]}, "services.web.history[1] must be an object"),
    ],
)
def test_a_value_of_the_wrong_type_is_an_error_naming_its_key(outputs: dict, message: str) -> None:
    with pytest.raises(OutputsError, match=re.escape(message)):
        parse_services({"services": {"web": outputs}})


def test_outputs_without_services_have_none() -> None:
    assert parse_services({"stack": "staging"}) == {}


def test_a_warm_release_is_written_with_its_slot_capacity_and_window() -> None:
    warm = WarmRelease(
        **vars(RELEASE),
        desired=3,
        warm_since="2026-12-02T01:00:00Z",
        retires_at="2026-12-02T02:00:00Z",
    )
    written = write_service(
        ServiceOutputs(**{**vars(SERVICE), "warm": replace(warm, slot="b", target_group_arn="arn:tg/b")})
    )

    assert written["warm"]["slot"] == "b"
    assert written["warm"]["retiresAt"] == "2026-12-02T02:00:00Z"
    assert parse_service(written, "web").warm == replace(warm, slot="b", target_group_arn="arn:tg/b")


def test_a_slot_other_than_a_b_or_c_is_an_outputs_error_naming_its_key() -> None:
    with pytest.raises(OutputsError, match=r"services\.web\.release\.slot must be one of the slots a, b, c"):
        parse_service({"release": {"slot": "d"}}, "web")


def test_a_warm_release_time_not_in_utc_iso_form_is_an_outputs_error_naming_its_key() -> None:
    with pytest.raises(OutputsError, match=r"services\.web\.warm\.retiresAt must be a UTC time"):
        parse_service({"warm": {"retiresAt": "2026-12-02 02:00"}}, "web")
