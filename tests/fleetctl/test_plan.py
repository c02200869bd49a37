"""`fleetctl plan STACK`: the real program run offline under mocks, printed per service."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fleet.build_tag import build_tag
from fleet.config import fleet_keys, parse_config
from fleet.outputs import DeployedRelease, ServiceOutputs, WarmRelease
from fleet.platforms import platform_for
from fleet.release import identify_on_disk
from fleetctl.cli import build_parser, main
from fleetctl.commands import plan as plan_command
from fleetctl.simulation import ACCOUNT, DEFAULT_VPC, ORGANIZATION, reset_runtime, run_program
from tests.checkout import ROOT, stack_file

_PLANS_OF_THIS_REPOSITORY: dict[tuple[str, ...], tuple[int, str, str]] = {}
"""`fleetctl plan` of this repository's own stack files, by arguments: the plan reads nothing but those files
(which no test writes) and any files named in its arguments, so one run answers every test that asks the same."""


@pytest.fixture
def plan(capsys: pytest.CaptureFixture[str]):
    """`plan(*args, project_dir=ROOT)`: run `fleetctl plan` in-process; exit code, stdout, stderr (a plan of this
    repository with no file arguments is run once per process)."""

    def run(*args: str | Path, project_dir: Path = ROOT) -> tuple[int, str, str]:
        key = tuple(map(str, args))
        shared = project_dir == ROOT and all(isinstance(arg, str) for arg in args)
        if shared and key in _PLANS_OF_THIS_REPOSITORY:
            return _PLANS_OF_THIS_REPOSITORY[key]
        code = main(["--project-dir", str(project_dir), "plan", *key])
        captured = capsys.readouterr()
        if shared:
            _PLANS_OF_THIS_REPOSITORY[key] = (code, captured.out, captured.err)
        return code, captured.out, captured.err

    return run


@pytest.fixture
def outputs_file(tmp_path: Path):
    def write(name: str, outputs: dict[str, Any]) -> Path:
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(outputs))
        return path

    return write


def release_id(stack: str) -> str:
    config = parse_config(fleet_keys(stack_file(stack)), stack, ROOT)
    return identify_on_disk(config.services, ROOT)["web"].release_id


def deployed(stack: str, release: str, version: str = "1.0.0", image_ref: str | None = None) -> dict[str, Any]:
    """A stack's outputs with web's live release `release`."""
    entry = {
        "releaseId": release,
        "version": version,
        "imageRef": image_ref or stack_file("prod")["fleet:services"]["web"]["image"]["ref"],
        "hostImage": "ami-0a1b2c3d4e5f60718",
        "instanceType": "t3.small",
    }
    live = {**entry, "asgName": f"fleet-{stack}-web-20261101000000000000000001"}
    return {"stack": stack, "services": {"web": {"release": live, "history": [entry]}}}


def staging_tag() -> str:
    return build_tag("1.0.0", ROOT / "images/web", platform_for("t3.small"))


def test_plan_prints_what_the_program_declares_per_service(plan):
    (web,) = parse_config(fleet_keys(stack_file("staging")), "staging", ROOT).services

    code, out, _ = plan("staging")

    assert code == 0
    assert out.split("\n\n", 1)[1].splitlines() == [
        "web",
        f"  release:        {release_id('staging')} (version 1.0.0)",
        f"  image:          built from images/web, pushed as fleet-staging-web:{staging_tag()} "
        "(its digest is known once built)",
        "  host image:     ami-0a1b2c3d4e5f60718",
        "  instance type:  t3.small",
        "  capacity:       min 2, desired 2, max 6",
        "  health check:   HTTP /healthz on port 8080 answers 200, every 10 s (timeout 5 s): healthy after 2, "
        f"unhealthy after 2; boot grace {web.boot_grace_seconds} s",
        "  health gate:    a new release waits for 2 healthy instances (wait_for_elb_capacity) for at most 10m "
        "(cut-over timeout), else `pulumi up` fails and the old release keeps serving",
        "  drain:          30 s for the old release's instances",
    ]


def test_plan_says_it_ran_under_mocks_and_sent_nothing(plan):
    _, out, _ = plan("staging")

    assert out.splitlines()[0].startswith("Plan of stack staging: the program run under the Pulumi SDK's mocks")
    assert "Nothing was sent to AWS or a Pulumi backend" in out


def test_plan_shows_the_configured_settings_not_defaults(plan, tmp_path):
    project = repository_with_staging_edited(tmp_path, "max: 6", "max: 6\n      cutoverTimeoutMinutes: 25")

    code, out, _ = plan("staging", project_dir=project)

    assert code == 0
    assert "for at most 25m (cut-over timeout)" in out


def test_same_release_as_deployed_is_no_release(plan, outputs_file):
    live = outputs_file("staging", deployed("staging", release_id("staging")))

    _, out, _ = plan("staging", "--from-outputs", live)

    assert f"  pulumi up:      no release (release {release_id('staging')} is live;" in out


def test_a_release_id_other_than_the_deployed_one_is_a_new_template_and_asg_in_a_free_slot(plan, outputs_file):
    live = outputs_file("staging", deployed("staging", "0123456789ab", version="0.9.0"))

    code, out, _ = plan("staging", "--from-outputs", live)

    assert code == 0
    assert (
        f"  pulumi up:      release: a new launch template and ASG in slot b (0123456789ab → {release_id('staging')}; "
        "version 0.9.0 → 1.0.0), health-gated before traffic moves"
    ) in out
    assert "release 0123456789ab then stays warm for 60 min (a rollback within it is a switch)" in out


def test_a_service_the_deployed_stack_lacks_is_new(plan, outputs_file):
    live = outputs_file("staging", {"stack": "staging", "services": {}})

    _, out, _ = plan("staging", "--from-outputs", live)

    assert f"  pulumi up:      new service: creates its first release {release_id('staging')}" in out


def test_a_deployed_service_the_stack_file_no_longer_has_is_removed(plan, outputs_file):
    live = deployed("staging", release_id("staging"))
    live["services"]["api"] = live["services"]["web"]
    stack_outputs = outputs_file("staging", live)

    _, out, _ = plan("staging", "--from-outputs", stack_outputs)

    assert out.endswith(
        "\n\napi\n  pulumi up:      removes the service: its ASG and instances, target group and listener\n"
    )


def test_outputs_of_another_stack_are_refused(plan, outputs_file):
    prod = outputs_file("prod", deployed("prod", release_id("prod")))

    code, out, err = plan("staging", "--from-outputs", prod)

    assert code == 2
    assert out == ""
    assert err == f"fleetctl plan: {prod} holds the outputs of stack prod, not of staging\n"


def test_without_the_source_outputs_the_promotion_guard_is_reported_unchecked(plan):
    code, out, _ = plan("prod")

    assert code == 0
    assert out.splitlines()[1] == (
        "promotion guard: NOT checked offline: pass --source-outputs FILE (`pulumi stack output --json --stack "
        "staging`); `pulumi up` refuses an image.ref that staging never deployed, and reads there which registries "
        "staging replicates to"
    )


def test_with_the_source_outputs_an_image_the_source_deployed_passes_the_guard(plan, outputs_file):
    staging = outputs_file("staging", deployed("staging", "0123456789ab"))

    code, out, _ = plan("prod", "--source-outputs", staging)

    assert code == 0
    assert f"promotion guard: checked: every image.ref was deployed by staging ({staging})" in out


def test_with_the_source_outputs_an_image_the_source_never_deployed_stops_the_plan(plan, outputs_file):
    other = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet-staging-web@sha256:" + "cd" * 32
    staging = outputs_file("staging", deployed("staging", "0123456789ab", image_ref=other))

    code, out, _ = plan("prod", "--source-outputs", staging)

    assert code == 1
    assert out.startswith("prod: the program stops: fleet:services.web.image.ref: ")
    assert "was never deployed by stack" in out


def test_source_outputs_for_a_stack_without_promotion_are_refused(plan, outputs_file):
    staging = outputs_file("staging", deployed("staging", "0123456789ab"))

    code, _, err = plan("staging", "--source-outputs", staging)

    assert code == 2
    assert err == "fleetctl plan: stack staging has no fleet:promotion: --source-outputs has nothing to check\n"


def test_an_invalid_stack_is_reported_as_check_reports_it(plan, tmp_path):
    project = repository_with_staging_edited(tmp_path, "build: images/web", "build: images/wbe")

    code, out, _ = plan("staging", project_dir=project)

    assert code == 1
    assert out.splitlines() == [
        "Pulumi.staging.yaml: 1 problem; `pulumi up` would stop before declaring any resource:",
        "  - fleet:services.web.image.build: must be a directory holding a Dockerfile; images/wbe/Dockerfile does "
        "not exist",
    ]


def repository_with_staging_edited(tmp_path: Path, old: str, new: str, stack: str = "staging") -> Path:
    """A copy of the program, its stack files and images, whose `stack` file has `old` replaced by `new`."""
    project = tmp_path / "project"
    shutil.copytree(ROOT, project, ignore=shutil.ignore_patterns(".git", ".venv", "tests", "__pycache__", ".*_cache"))
    stack_path = project / f"Pulumi.{stack}.yaml"
    assert stack_path.read_text().count(old) == 1
    stack_path.write_text(stack_path.read_text().replace(old, new))
    return project


HOST_IMAGE_LINE = "      hostImage: ami-0a1b2c3d4e5f60718\n"


@pytest.mark.parametrize(
    ("stack", "canary_image"),
    [
        ("staging", '{version: "1.1.0", build: images/web}'),
        (
            "prod",
            '{version: "1.1.0", ref: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet-staging-web@sha256:'
            + "c" * 64
            + '"}',
        ),
    ],
)
def test_plan_shows_a_services_canary_beside_its_live_release(plan, tmp_path, stack, canary_image):
    canary = f"      canary: {{image: {canary_image}, weight: 20, instances: 2}}\n"
    project = repository_with_staging_edited(tmp_path, HOST_IMAGE_LINE, canary + HOST_IMAGE_LINE, stack=stack)

    code, out, _ = plan(stack, project_dir=project)

    assert code == 0
    (line,) = [line for line in out.splitlines() if line.startswith("  canary:")]
    assert line.endswith(
        "(version 1.1.0) on 2 t3.small host(s) of ami-0a1b2c3d4e5f60718, 20% of requests once its hosts are healthy"
    )
    assert f"  release:        {release_id(stack)} (version 1.0.0)" in out.splitlines()


REAL_VPC = "vpc-0a1b2c3d4e5f67890"


@pytest.fixture(scope="module")
def real_staging_outputs_text() -> str:
    """Staging's outputs as deployed on an account's default VPC: the program's own outputs (one run per module),
    with the VPC and account AWS would have given instead of the mocks' invented ones."""
    try:
        run = run_program("staging", stack_file("staging"), project_root=ROOT)
    finally:
        reset_runtime()
    return json.dumps(run.outputs).replace(DEFAULT_VPC, REAL_VPC).replace(ACCOUNT, "210987654321")


@pytest.fixture
def real_staging_outputs(real_staging_outputs_text: str) -> dict[str, Any]:
    """This test's own copy of `real_staging_outputs_text`."""
    return dict(json.loads(real_staging_outputs_text))


def test_a_plan_from_real_outputs_of_an_unchanged_stack_is_no_release(plan, outputs_file, real_staging_outputs):
    code, out, _ = plan("staging", "--from-outputs", outputs_file("staging", real_staging_outputs))

    assert code == 0, out
    assert f"pulumi up:      no release (release {release_id('staging')} is live" in out
    assert DEFAULT_VPC not in out


def test_a_plan_from_real_outputs_still_refuses_a_configured_move_to_another_vpc(
    plan, outputs_file, tmp_path, real_staging_outputs
):
    project = repository_with_staging_edited(
        tmp_path, "config:\n", "config:\n  fleet:network:\n    vpcId: vpc-0fedcba9876543210\n"
    )

    code, out, _ = plan("staging", "--from-outputs", outputs_file("staging", real_staging_outputs), project_dir=project)

    assert code == 1
    assert f"this stack serves from {REAL_VPC}; moving it to vpc-0fedcba9876543210" in out


OTHER_STAGING_IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/fleet-staging-web@sha256:" + "cd" * 32


def test_after_a_rollback_past_the_sources_history_the_guard_line_says_prods_own_history_passed_it(plan, outputs_file):
    staging = outputs_file("staging", deployed("staging", "0123456789ab", image_ref=OTHER_STAGING_IMAGE))
    prod = outputs_file("prod", deployed("prod", release_id("prod")))

    code, out, _ = plan("prod", "--from-outputs", prod, "--source-outputs", staging)

    assert code == 0, out
    assert (
        f"promotion guard: checked with staging's outputs ({staging}): web.image.ref not deployed by staging, but "
        "run by prod before (its release history in --from-outputs): a rollback"
    ) in out.splitlines()
    assert "every image.ref was deployed by staging" not in out


def test_a_refusal_of_the_guard_names_the_source_as_the_stack_file_does_not_the_mocks_organization(plan, outputs_file):
    staging = outputs_file("staging", deployed("staging", "0123456789ab", image_ref=OTHER_STAGING_IMAGE))

    code, out, _ = plan("prod", "--source-outputs", staging)

    assert code == 1
    assert "was never deployed by stack staging, nor run by this stack (prod)" in out
    assert ORGANIZATION not in out


def test_a_new_canary_planned_from_the_outputs_lists_the_resources_it_creates(
    plan, outputs_file, tmp_path, real_staging_outputs
):
    before = outputs_file("staging", real_staging_outputs)
    canary = '      canary: {image: {version: "1.1.0", build: images/web}}\n'
    project = repository_with_staging_edited(tmp_path, HOST_IMAGE_LINE, canary + HOST_IMAGE_LINE)

    code, out, _ = plan("staging", "--from-outputs", before, project_dir=project)

    assert code == 0, out
    (line,) = [line for line in out.splitlines() if line.startswith("  canary change:")]
    assert line.startswith("  canary change:  starts the canary: creates ")
    for kind in ("ListenerRule", "MetricAlarm"):
        assert f"{kind} web-canary" in line
    for kind in ("LaunchTemplate", "Group"):
        assert f"{kind} web-release-b" in line  # the canary's release runs in slot b
    assert f"pulumi up:      no release (release {release_id('staging')} is live" in out


# Names and certificates: the plan's stack-wide section (fleetctl/names_report.py).

ZONE = "  fleet:dns: {zoneId: Z08393152MPN1ODRL6P3L, zoneName: example.com}\n"
CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/0c1e2d3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f"
HOSTNAMES = "      hostnames: [web.example.com, '*.web.example.com']\n"


@pytest.fixture
def named(tmp_path):
    """The repository's program with staging's web on two hostnames in a zone (no certificate ARN: managed)."""
    project = repository_with_staging_edited(tmp_path, HOST_IMAGE_LINE, HOSTNAMES + HOST_IMAGE_LINE)
    stack_file = project / "Pulumi.staging.yaml"
    stack_file.write_text(stack_file.read_text().replace("  fleet:services:\n", ZONE + "  fleet:services:\n"))
    return project


def section(out: str) -> list[str]:
    lines = out.splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith("names and certificates"))
    return lines[start:]


def test_plan_lists_the_zone_records_and_managed_certificate(plan, named):
    code, out, _ = plan("staging", project_dir=named)

    assert code == 0
    assert section(out) == [
        "names and certificates (stack-wide: the load balancer's, never a release's)",
        "  zone:           example.com (Z08393152MPN1ODRL6P3L)",
        "  records:        web.example.com, *.web.example.com: alias A to the load balancer (no AAAA: the load "
        "balancer is IPv4 only)",
        "  certificate:    managed: one ACM certificate for *.web.example.com, web.example.com, validated by DNS "
        "with 1 CNAME record(s) in the zone; the HTTPS listeners present it only once ACM has issued it",
    ]


def test_plan_against_outputs_without_a_zone_adds_the_records_and_requests_the_certificate(plan, named, outputs_file):
    live = outputs_file("staging", {"stack": "staging", "services": {}})

    _, out, _ = plan("staging", "--from-outputs", live, project_dir=named)

    assert section(out)[-1] == (
        "  pulumi up:      adds records for web.example.com, *.web.example.com; requests the managed certificate"
    )


def test_plan_against_outputs_with_a_name_fewer_replaces_the_certificate_and_makes_no_release(
    plan, named, outputs_file
):
    dns = {
        "zoneId": "Z08393152MPN1ODRL6P3L",
        "zoneName": "example.com",
        "hostnames": {"web.example.com": "web", "*.web.example.com": "web", "old.example.com": "web"},
        "certificateArn": CERTIFICATE,
    }
    live = outputs_file("staging", {"stack": "staging", "services": {}, "dns": dns})

    _, out, _ = plan("staging", "--from-outputs", live, project_dir=named)

    assert section(out)[-1] == (
        "  pulumi up:      deletes the records of old.example.com; replaces the managed certificate "
        "(-old.example.com), validated before the HTTPS listeners move to it, the old one deleted after"
    )


def test_plan_of_a_stack_without_hostnames_or_tls_has_no_names_section(plan):
    _, out, _ = plan("staging")

    assert "names and certificates" not in out
    assert f"  release:        {release_id('staging')} (version 1.0.0)" in out.splitlines()


def test_plan_with_tls_and_no_zone_says_what_to_point_where(plan, tmp_path):
    project = repository_with_staging_edited(tmp_path, HOST_IMAGE_LINE, HOSTNAMES + HOST_IMAGE_LINE)
    stack_file = project / "Pulumi.staging.yaml"
    tls = f"  fleet:tls: {{certificateArn: {CERTIFICATE}}}\n"
    stack_file.write_text(stack_file.read_text().replace("  fleet:services:\n", tls + "  fleet:services:\n"))

    _, out, _ = plan("staging", project_dir=project)

    assert section(out)[1:] == [
        "  DNS:            no zone (fleet:dns): fleet writes no record; point each hostname at the load balancer's "
        "DNS name (output loadBalancerDns) yourself, as an alias or CNAME",
        f"  certificate:    {CERTIFICATE} (tls.certificateArn)",
    ]


def with_warm(outputs: dict[str, Any], release: str, warm_since: str, retires_at: str) -> dict[str, Any]:
    """`outputs` with web's release `release` warm in slot b from `warm_since` to `retires_at`, 2 hosts."""
    web = outputs["services"]["web"]
    entry = {**web["history"][0], "releaseId": release, "version": "0.9.0"}
    web["history"].append(entry)
    web["warm"] = {
        **entry,
        "asgName": "fleet-staging-web-b-20261101000000000000000002",
        "slot": "b",
        "desired": 2,
        "warmSince": warm_since,
        "retiresAt": retires_at,
    }
    return outputs


def plan_at(now: datetime, *args: str | Path, capsys: pytest.CaptureFixture[str]) -> str:
    """`fleetctl plan` of this repository at `now`: what it prints."""
    code = plan_command.run(build_parser().parse_args(["--project-dir", str(ROOT), "plan", *map(str, args)]), now=now)
    assert code == 0
    return capsys.readouterr().out


def test_a_deployed_warm_release_past_its_window_is_retired_with_the_instance_hours_it_cost(outputs_file, capsys):
    warm = with_warm(
        deployed("staging", release_id("staging")), "9a8b7c6d5e4f", "2026-12-01T00:00:00Z", "2026-12-01T01:00:00Z"
    )

    out = plan_at(
        datetime(2026, 12, 1, 4, tzinfo=UTC), "staging", "--from-outputs", outputs_file("s", warm), capsys=capsys
    )

    assert (
        "  retires:        warm release 9a8b7c6d5e4f (version 0.9.0): its window closed at 2026-12-01 01:00 UTC, "
        "3 h 00 min ago: 6.0 instance-hours past its window (2 host(s)); this `pulumi up` deletes it"
    ) in out.splitlines()


def test_pinning_the_warm_release_within_its_window_plans_a_switch_not_a_release(outputs_file, capsys):
    warm = with_warm(
        deployed("staging", "0123456789ab"), release_id("staging"), "2026-12-01T00:00:00Z", "2026-12-01T01:00:00Z"
    )

    out = plan_at(
        datetime(2026, 12, 1, 0, 30, tzinfo=UTC), "staging", "--from-outputs", outputs_file("s", warm), capsys=capsys
    )

    assert (
        f"  pulumi up:      switch: traffic moves back to the warm release {release_id('staging')} (slot b), one load "
        "balancer change once its hosts pass the health gate; no launch template, no ASG, no boot (if the update "
        "runs before its window closes at 2026-12-01 01:00 UTC); release 0123456789ab then stays warm for 60 min (a "
        "rollback within it is a switch)"
    ) in out.splitlines()


def test_pinning_the_warm_release_after_its_window_plans_a_release_in_a_free_slot_and_retires_it(outputs_file, capsys):
    warm = with_warm(
        deployed("staging", "0123456789ab"), release_id("staging"), "2026-12-01T00:00:00Z", "2026-12-01T01:00:00Z"
    )

    out = plan_at(
        datetime(2026, 12, 1, 2, tzinfo=UTC), "staging", "--from-outputs", outputs_file("s", warm), capsys=capsys
    )

    lines = out.splitlines()
    new_slot = (
        f"  pulumi up:      release: a new launch template and ASG in slot c (0123456789ab → {release_id('staging')})"
    )
    assert any(line.startswith(new_slot) for line in lines)
    assert (
        f"  retires:        warm release {release_id('staging')} (version 0.9.0): its window closed at 2026-12-01 "
        "01:00 UTC, 1 h 00 min ago: 2.0 instance-hours past its window (2 host(s)); this `pulumi up` deletes it"
    ) in lines


def test_the_release_a_plan_makes_leaves_the_former_live_release_warm_until_its_window_closes(outputs_file, capsys):
    before = outputs_file("s", deployed("staging", "0123456789ab"))

    out = plan_at(datetime(2026, 12, 1, 0, 30, tzinfo=UTC), "staging", "--from-outputs", before, capsys=capsys)

    assert (
        "  warm:           0123456789ab (version 1.0.0), slot a: becomes warm once the new release serves, out of "
        "traffic; retires at 2026-12-01 01:30 UTC (in 1 h 00 min)"
    ) in out.splitlines()


def warm_record(release: str, retires_at: str = "2026-12-01T01:00:00Z") -> WarmRelease:
    return WarmRelease(
        release_id=release,
        version="0.9.0",
        slot="a",
        desired=2,
        warm_since="2026-12-01T00:00:00Z",
        retires_at=retires_at,
    )


def test_the_former_live_release_the_update_leaves_warm_is_shown_with_its_retirement():
    declared = ServiceOutputs(release=DeployedRelease(release_id="new0new0new0"), warm=warm_record("old0old0old0"))
    deployed_before = ServiceOutputs(release=DeployedRelease(release_id="old0old0old0"))

    lines = plan_command._warm_lines(declared, deployed_before, datetime(2026, 12, 1, 0, 15, tzinfo=UTC))

    assert lines == [
        "  warm:           old0old0old0 (version 0.9.0), slot a: becomes warm once the new release serves, out of "
        "traffic; retires at 2026-12-01 01:00 UTC (in 45 min)"
    ]


def test_a_warm_release_the_update_keeps_stays_warm():
    declared = ServiceOutputs(release=DeployedRelease(release_id="live0live0li"), warm=warm_record("old0old0old0"))
    deployed_before = ServiceOutputs(release=declared.release, warm=warm_record("old0old0old0"))

    lines = plan_command._warm_lines(declared, deployed_before, datetime(2026, 12, 1, 0, 15, tzinfo=UTC))

    assert lines == [
        "  warm:           old0old0old0 (version 0.9.0), slot a: stays warm, out of traffic; retires at 2026-12-01 "
        "01:00 UTC (in 45 min)"
    ]


def test_a_warm_release_a_new_release_replaces_within_its_window_is_retired_without_a_cost():
    declared = ServiceOutputs(release=DeployedRelease(release_id="new0new0new0"), warm=warm_record("live0live0li"))
    deployed_before = ServiceOutputs(
        release=DeployedRelease(release_id="live0live0li"), warm=warm_record("old0old0old0")
    )

    lines = plan_command._warm_lines(declared, deployed_before, datetime(2026, 12, 1, 0, 15, tzinfo=UTC))

    assert lines[1] == (
        "  retires:        warm release old0old0old0 (version 0.9.0): a newer release takes its place; this "
        "`pulumi up` deletes it"
    )


def test_plan_says_it_cannot_check_the_rollback_marks_offline(plan):
    _, out, _ = plan("staging")

    assert (
        "rollback marks: NOT checked offline (the mocks hold none): `pulumi up` reads fleetctl watch's marks in SSM "
        "and refuses a release its alarms rolled back; `fleetctl status` shows a service rolled back"
    ) in out.splitlines()
