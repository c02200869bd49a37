"""`fleetctl diff`: per stack and service, a release (and which field caused it), an in-place change, or nothing."""

from __future__ import annotations

import copy

import pytest
from ruamel.yaml import YAML

from fleet.config import fleet_keys, parse_config
from fleet.release import identify_on_disk
from fleet.rollout import health_check_path_warning
from fleet.secret_settings import with_secret_settings
from fleetctl.commands.diff import ParsedStack, load_stack
from fleetctl.revisions import GitTree
from tests.ciphertexts import ciphertext
from tests.fleetctl.fleetctl_samples import AMI_NEW, AMI_OLD, image_ref


def service_lines(report: str, stack: str, service: str) -> list[str]:
    """The lines of `service` (and its detail lines) in `stack`'s section of the report."""
    section = report.split(f"### `{stack}`", 1)[1].split("\n### ", 1)[0]
    lines, inside = [], False
    for line in section.splitlines():
        if line.startswith("- "):
            inside = line.startswith(f"- **{service}**")
        if inside:
            lines.append(line)
    return lines


@pytest.fixture
def base(project) -> str:
    return project.git("rev-parse", "HEAD")


@pytest.mark.parametrize(
    ("stack", "old", "new", "field", "detail"),
    [
        pytest.param("staging", '"1.0.0"', '"1.1.0"', "version", "  - version: `1.0.0` → `1.1.0`", id="version"),
        pytest.param(
            "prod",
            f"hostImage: {AMI_OLD}\n      instanceType",
            f"hostImage: {AMI_NEW}\n      instanceType",
            "host image",
            f"  - host image: `{AMI_OLD}` → `{AMI_NEW}`",
            id="host-image",
        ),
        pytest.param(
            "prod",
            "instanceType: t3.small",
            "instanceType: m7g.large",
            "instance type",
            "  - instance type: `t3.small` → `m7g.large`",
            id="instance-type",
        ),
    ],
)
def test_a_change_of_what_runs_on_the_host_is_a_release_naming_the_field(
    project, fleetctl, base, stack, old, new, field, detail
):
    project.edit(f"Pulumi.{stack}.yaml", old, new)

    result = fleetctl("diff", base)

    web = service_lines(result.out, stack, "web")
    assert result.code == 0
    assert web[0].startswith("- **web**: **release**")
    assert web[0].endswith(f"because of: {field}")
    assert web[1] == detail
    assert service_lines(result.out, stack, "api") == ["- **api**: unchanged"]


def test_build_context_file_change_is_a_release_naming_the_image(project, fleetctl, base):
    project.edit("images/web/app.py", "web 1", "web 2")
    head = project.commit("change the web app")

    result = fleetctl("diff", base, head)

    web = service_lines(result.out, "staging", "web")
    assert web[0].endswith("because of: image")
    assert web[1].startswith("  - image: `build images/web (files ")
    assert service_lines(result.out, "staging", "api") == ["- **api**: unchanged"]
    assert "### `prod`: unchanged" in result.out


def test_cache_files_in_a_build_context_are_not_a_release(project, fleetctl, base):
    project.write("images/web/__pycache__/app.cpython-311.pyc", "bytecode")

    result = fleetctl("diff", base)

    assert "### `staging`: unchanged" in result.out


def test_boot_script_change_is_a_release_of_every_service(project, fleetctl, base):
    project.write("components/boot.sh", project.read("components/boot.sh") + "echo booted\n")

    result = fleetctl("diff", base)

    for stack, service in [("staging", "web"), ("staging", "api"), ("prod", "web"), ("prod", "api")]:
        assert service_lines(result.out, stack, service)[0].endswith("because of: boot script")


def test_capacity_change_is_in_place(project, fleetctl, base):
    project.edit("Pulumi.prod.yaml", "desired: 3, max: 10", "desired: 4, max: 12")

    web = service_lines(fleetctl("diff", base).out, "prod", "web")

    assert web == [
        "- **web**: in-place: capacity",
        "  - capacity: `{min: 2, desired: 3, max: 10}` → `{min: 2, desired: 4, max: 12}`",
    ]


def test_alarm_threshold_change_is_in_place_not_a_release(project, fleetctl, base):
    project.edit(
        "Pulumi.prod.yaml", "      drainSeconds: 60\n", "      drainSeconds: 60\n      alarms: {p99LatencyMs: 800}\n"
    )

    web = service_lines(fleetctl("diff", base).out, "prod", "web")

    assert web[0] == "- **web**: in-place: alarms"
    before, after = web[1].split(" → ")
    assert "p99LatencyMs: 2000," in before
    assert "p99LatencyMs: 800," in after


def test_added_and_removed_services_and_stacks_are_named(project, fleetctl, base):
    project.write("Pulumi.qa.yaml", project.read("Pulumi.staging.yaml"))
    project.edit("Pulumi.prod.yaml", "    api:\n", "    apiv2:\n")

    result = fleetctl("diff", base)

    assert "### `qa`: new stack" in result.out
    assert service_lines(result.out, "prod", "apiv2")[0].startswith("- **apiv2**: added, **release** `")
    assert service_lines(result.out, "prod", "api")[0].startswith("- **api**: removed")


def test_unknown_revision_is_a_command_error(project, fleetctl):
    result = fleetctl("diff", "no-such-branch")

    assert result.code == 2
    assert "no-such-branch is not a commit" in result.err


def test_identity_at_a_revision_equals_the_one_the_program_computes(project):
    project.write("images/web/static/site.css", "body {}\n")
    head = project.commit("add a stylesheet")

    at_revision = load_stack(GitTree(project.root, head), "staging")

    raw = YAML(typ="safe").load(project.read("Pulumi.staging.yaml"))["config"]
    config = parse_config(fleet_keys(raw), "staging", project_root=project.root)
    assert isinstance(at_revision, ParsedStack)
    assert at_revision.identities == identify_on_disk(config.services, project.root)


def test_removed_stack_file_is_named(project, fleetctl):
    project.write("Pulumi.qa.yaml", project.read("Pulumi.staging.yaml"))
    base = project.commit("add qa")
    (project.root / "Pulumi.qa.yaml").unlink()

    result = fleetctl("diff", base)

    assert "### `qa`: removed (Pulumi.qa.yaml deleted; this does not destroy the stack)" in result.out
    assert result.code == 0


@pytest.mark.parametrize(
    ("stack", "old", "new", "problem"),
    [
        (
            "staging",
            "build: images/web",
            "build: images/wbe",
            "fleet:services.web.image.build: must be a directory holding a Dockerfile; images/wbe/Dockerfile does "
            "not exist",
        ),
        ("staging", "  aws:region: eu-west-1\n", "", "aws:region: is required"),
        ("prod", "from: staging", "from: stagign", "fleet:promotion.from: names stack stagign, but the project has no"),
        (
            "prod",
            "desired: 3, max: 10",
            "desired: 30, max: 10",
            "fleet:services.web.capacity: desired (30) must not exceed max (10)`",
        ),
    ],
    ids=["misspelled-build-directory", "no-region", "unknown-promotion-source", "capacity"],
)
@pytest.mark.parametrize("committed", [False, True], ids=["working-tree", "commit"])
def test_a_stack_the_program_rejects_is_an_error_never_a_release(
    project, fleetctl, base, stack, old, new, problem, committed
):
    project.edit(f"Pulumi.{stack}.yaml", old, new)
    head = [project.commit("break the stack")] if committed else []

    result = fleetctl("diff", base, *head)

    assert result.code == 1
    section = result.out.split(f"### `{stack}`", 1)[1].split("\n### ", 1)[0]
    assert section.startswith(f": **invalid configuration** at `{head[0] if committed else 'working tree'}`")
    assert f"- `{problem}" in section
    assert "**release**" not in section
    assert "Traceback" not in result.err


def test_image_files_changed_without_a_new_version_are_warned_about(project, fleetctl, base):
    project.edit("images/web/app.py", "web 1", "web 2")

    web = service_lines(fleetctl("diff", base).out, "staging", "web")

    assert web[-1] == (
        "  - ⚠️ **warning**: the image's files changed but `image.version` is still `1.0.0`: two different images "
        "would answer to one version (in `/version`, the release history and rollback); set a new `image.version`"
    )


def test_image_files_changed_with_a_new_version_are_not_warned_about(project, fleetctl, base):
    project.edit("images/web/app.py", "web 1", "web 2")
    project.edit("Pulumi.staging.yaml", '"1.0.0"', '"1.1.0"')

    web = service_lines(fleetctl("diff", base).out, "staging", "web")

    assert web[0].endswith("because of: version, image")
    assert not any("warning" in line for line in web)


def test_stack_settings_are_shown_as_the_file_writes_them(project, fleetctl, base):
    project.edit("Pulumi.prod.yaml", "    from: staging\n", "    from: staging\n    allowUnverified: true\n")

    result = fleetctl("diff", base)

    assert "- promotion: `{from: staging}` → `{from: staging, allowUnverified: true}`" in result.out


def test_an_added_setting_block_is_shown_from_not_set(project, fleetctl, base):
    project.edit("Pulumi.staging.yaml", "  fleet:services:\n", "  fleet:promotion: {from: prod}\n  fleet:services:\n")
    project.edit("Pulumi.staging.yaml", "build: images/web", f"ref: {image_ref('web', '1.0.0')}")
    project.edit("Pulumi.staging.yaml", "build: images/api", f"ref: {image_ref('api', '2.0.0')}")

    result = fleetctl("diff", base)

    assert "- promotion: not set → `{from: prod}`" in result.out


SECRET_BEFORE = ciphertext("db password")
SECRET_AFTER = ciphertext("db password, set again")
WEB_SETTINGS = """      settings:
        LOG_LEVEL: debug
        DB_PASSWORD:
          secure: {}
"""


def with_web_settings(project, ciphertext: str, log_level: str = "debug") -> None:
    settings = WEB_SETTINGS.format(ciphertext).replace("debug", log_level)
    project.edit("Pulumi.staging.yaml", "      port: 8080\n", "      port: 8080\n" + settings)


def test_adding_settings_is_a_release_naming_the_keys_and_no_value(project, fleetctl, base):
    with_web_settings(project, SECRET_BEFORE)

    result = fleetctl("diff", base)

    web = service_lines(result.out, "staging", "web")
    assert web[0].endswith("because of: settings (DB_PASSWORD, LOG_LEVEL)")
    assert len(web) == 1
    assert "debug" not in result.out
    assert SECRET_BEFORE not in result.out


def test_setting_a_secret_again_is_a_release_naming_only_that_key(project, fleetctl, base):
    with_web_settings(project, SECRET_BEFORE)
    before = project.commit("settings")
    project.edit("Pulumi.staging.yaml", SECRET_BEFORE, SECRET_AFTER)

    result = fleetctl("diff", before)

    (web,) = service_lines(result.out, "staging", "web")
    assert web.endswith("because of: settings (DB_PASSWORD)")
    assert SECRET_AFTER not in result.out


def test_changing_a_plain_setting_names_it_without_its_value(project, fleetctl, base):
    with_web_settings(project, SECRET_BEFORE)
    before = project.commit("settings")
    project.edit("Pulumi.staging.yaml", "LOG_LEVEL: debug", "LOG_LEVEL: verbose-tracing")

    result = fleetctl("diff", before)

    assert service_lines(result.out, "staging", "web")[0].endswith("because of: settings (LOG_LEVEL)")
    assert "verbose-tracing" not in result.out


def test_diff_and_program_agree_on_the_release_id_of_a_stack_with_a_secret(project):
    with_web_settings(project, SECRET_BEFORE)
    head = project.commit("settings")
    written = fleet_keys(YAML(typ="safe").load(project.read("Pulumi.staging.yaml"))["config"])
    passed = copy.deepcopy(written)
    passed["services"]["web"]["settings"]["DB_PASSWORD"] = "the decrypted value"

    program = parse_config(with_secret_settings(passed, written, "staging", True), "staging", project.root)
    diffed = load_stack(GitTree(project.root, head), "staging")

    assert isinstance(diffed, ParsedStack)
    assert identify_on_disk(program.services, project.root)["web"] == diffed.identities["web"]


WEB_REF_LINE = f"        ref: {image_ref('web', '1.0.0')}\n"


def with_web_canary(project, version: str) -> None:
    """Prod's web gets a canary of `version` taking 10% of requests, as `promote --canary` writes it."""
    block = (
        f'      canary:\n        image:\n          version: "{version}"\n          ref: {image_ref("web", version)}\n'
        "        weight: 10\n"
    )
    project.edit("Pulumi.prod.yaml", WEB_REF_LINE, WEB_REF_LINE + block)


def test_a_new_canary_is_started_naming_what_differs_from_live_and_replaces_nothing(project, fleetctl, base):
    with_web_canary(project, "1.1.0")

    result = fleetctl("diff", base)

    web = service_lines(result.out, "prod", "web")
    assert result.code == 0, result.out
    assert web[0].startswith("- **web**: **canary started**: release `")
    assert "of `1.1.0` takes 10% of requests beside live" in web[0]
    assert "1 host; the live release is not replaced" in web[0]
    assert web[0].endswith("because it differs from live in: version, image")
    assert web[1] == "  - version: `1.0.0` → `1.1.0`"
    assert not any("**release**" in line for line in web)


def test_a_canary_weight_change_is_in_place(project, fleetctl):
    with_web_canary(project, "1.1.0")
    base = project.commit("start a canary")
    project.edit("Pulumi.prod.yaml", "weight: 10", "weight: 25")

    web = service_lines(fleetctl("diff", base).out, "prod", "web")

    assert web == ["- **web**: canary weight `10%` → `25%` (in place)"]


def test_a_new_canary_image_replaces_the_canary_release_only(project, fleetctl):
    with_web_canary(project, "1.1.0")
    base = project.commit("start a canary")
    project.edit("Pulumi.prod.yaml", 'version: "1.1.0"', 'version: "1.2.0"')
    project.edit("Pulumi.prod.yaml", image_ref("web", "1.1.0"), image_ref("web", "1.2.0"))

    web = service_lines(fleetctl("diff", base).out, "prod", "web")

    assert web[0].startswith("- **web**: **canary release** `")
    assert "live is not" in web[0]
    assert web[0].endswith("because of: version, image")
    assert web[1] == "  - version: `1.1.0` → `1.2.0`"
    assert not any("**release**" in line for line in web)


def test_a_finished_canary_is_a_release_of_the_canarys_release(project, fleetctl):
    with_web_canary(project, "1.1.0")
    base = project.commit("start a canary")
    canary_id = load_stack(GitTree(project.root, base), "prod").canaries["web"].release_id
    assert fleetctl("canary", "finish", "prod").code == 0

    web = service_lines(fleetctl("diff", base).out, "prod", "web")

    assert web[0].startswith("- **web**: **release** `")
    assert (
        web[0]
        .split(" because of")[0]
        .endswith(f"→ `{canary_id}` (new launch template and autoscaling group, replaced once healthy)")
    )
    assert web[-1] == (
        f"- **web**: **canary finished**: its release `{canary_id}` of `1.1.0` becomes the live release "
        "(the release above); the canary's resources are deleted once it is healthy"
    )


def test_an_aborted_canary_returns_every_request_to_live_and_releases_nothing(project, fleetctl):
    with_web_canary(project, "1.1.0")
    base = project.commit("start a canary")
    assert fleetctl("canary", "abort", "prod").code == 0

    web = service_lines(fleetctl("diff", base).out, "prod", "web")

    assert len(web) == 1
    assert web[0].startswith("- **web**: **canary aborted**: release `")
    assert "every request returns to live" in web[0]


def test_a_canary_instances_change_is_in_place(project, fleetctl):
    with_web_canary(project, "1.1.0")
    base = project.commit("start a canary")
    project.edit("Pulumi.prod.yaml", "weight: 10\n", "weight: 10\n        instances: 3\n")

    web = service_lines(fleetctl("diff", base).out, "prod", "web")

    assert web == ["- **web**: canary instances `1` → `3` (in place)"]


CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:fleet-alarms"


def test_turning_tls_on_shows_that_every_http_listener_becomes_a_redirect(project, fleetctl, base):
    project.edit(
        "Pulumi.prod.yaml",
        "  fleet:services:\n",
        f"  fleet:tls:\n    certificateArn: {CERTIFICATE}\n  fleet:services:\n",
    )
    project.edit("Pulumi.prod.yaml", "      publicPort: 8081\n", "      publicPort: 8081\n      httpsPort: 8443\n")

    result = fleetctl("diff", base)

    assert f"- tls: not set → `{{certificateArn: {CERTIFICATE}}}`: HTTPS on the load balancer" in result.out
    assert "its HTTP listener only redirects to it" in result.out
    assert "### `prod`: unchanged" not in result.out, result.out


def test_adding_an_alarm_topic_shows_what_the_alarms_notify(project, fleetctl, base):
    project.edit(
        "Pulumi.prod.yaml", "  fleet:services:\n", f"  fleet:alarms:\n    topicArn: {TOPIC}\n  fleet:services:\n"
    )

    result = fleetctl("diff", base)

    assert f"- alarms: not set → `{{topicArn: {TOPIC}}}`: the SNS topic every alarm notifies" in result.out


def test_a_health_check_path_change_carries_the_warning_the_program_prints(project, fleetctl, base):
    project.edit(
        "Pulumi.prod.yaml", "      drainSeconds: 60\n", "      drainSeconds: 60\n      healthCheckPath: /ready\n"
    )

    web = service_lines(fleetctl("diff", base).out, "prod", "web")

    assert web == [
        "- **web**: in-place: healthCheckPath",
        "  - healthCheckPath: `/healthz` → `/ready`",
        f"  - ⚠️ **warning**: {health_check_path_warning('web', '/healthz', '/ready')}",
    ]


# Names and certificates: stack-wide lines (fleetctl/names_report.py), never a release.

ZONE_LINE = "  fleet:dns: {zoneId: Z08393152MPN1ODRL6P3L, zoneName: example.com}\n"


def put_web_in_the_zone(project, hostnames: str = "[web.example.com]") -> None:
    project.edit("Pulumi.staging.yaml", "      port: 8080\n", f"      port: 8080\n      hostnames: {hostnames}\n")
    project.edit("Pulumi.staging.yaml", "  aws:region: eu-west-1\n", "  aws:region: eu-west-1\n" + ZONE_LINE)
    # With HTTPS on (a managed certificate), api's own HTTPS listener may not take the shared 443.
    project.edit("Pulumi.staging.yaml", "      publicPort: 8081\n", "      publicPort: 8081\n      httpsPort: 8444\n")


def stack_lines(report: str, stack: str) -> list[str]:
    return report.split(f"### `{stack}`", 1)[1].split("\n### ", 1)[0].splitlines()


def test_a_new_zone_is_a_stack_wide_dns_and_certificate_change(project, fleetctl, base):
    put_web_in_the_zone(project)

    result = fleetctl("diff", base)

    lines = stack_lines(result.out, "staging")
    assert result.code == 0
    assert "- **DNS** (stack-wide, no release): zone none → example.com (Z08393152MPN1ODRL6P3L)" in lines
    assert (
        "- **certificate** (stack-wide, no release): none (HTTP only) → managed: fleet requests a certificate for "
        "web.example.com, validated before the HTTPS listeners move to it, the old one deleted after"
    ) in lines


def test_a_new_hostname_in_the_zone_adds_its_record_and_replaces_the_managed_certificate(project, fleetctl):
    put_web_in_the_zone(project)
    named = project.commit("web on web.example.com")
    project.edit("Pulumi.staging.yaml", "hostnames: [web.example.com]", "hostnames: [web.example.com, www.example.com]")

    result = fleetctl("diff", named)

    lines = stack_lines(result.out, "staging")
    assert "- **DNS records** (stack-wide, no release): adds records for www.example.com" in lines
    assert (
        "- **certificate** (stack-wide, no release): the managed certificate is replaced (+www.example.com), "
        "validated before the HTTPS listeners move to it, the old one deleted after"
    ) in lines
    assert not any("**release**" in line for line in lines)
