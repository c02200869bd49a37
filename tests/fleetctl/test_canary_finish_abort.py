"""`fleetctl canary finish|abort STACK`: end a canary by editing the stack file, every other byte kept."""

from __future__ import annotations

import pytest

from tests.fleetctl.fleetctl_samples import AMI_NEW, AMI_OLD, image_ref

WEB_IMAGE = (
    f'      image:\n        version: "1.0.0"   # set by fleetctl promote\n        ref: {image_ref("web", "1.0.0")}\n'
)
API_IMAGE = f"      image:\n        version: '2.0.0'\n        ref: {image_ref('api', '2.0.0')}\n"


def canary(service: str, version: str, *extra: str) -> str:
    """A canary block under a service of prod, with a comment above it and one inside; `extra` lines after image."""
    lines = "".join(f"        {line}\n" for line in extra)
    return (
        f'      # trying {version}\n      canary:\n        image:\n          version: "{version}"\n'
        f"          ref: {image_ref(service, version)}   # from staging\n{lines}        weight: 10\n"
    )


@pytest.fixture
def with_canary(project):
    """Prod's file with canaries added: `with_canary(web=block, api=block)`; returns the file's text before."""

    def add(web: str | None = None, api: str | None = None) -> str:
        if web:
            project.edit("Pulumi.prod.yaml", WEB_IMAGE, WEB_IMAGE + web)
        if api:
            project.edit("Pulumi.prod.yaml", API_IMAGE, API_IMAGE + api)
        return project.read("Pulumi.prod.yaml")

    return add


def refusal(result, project, before: str) -> str:
    """A refusal: exit code 2, one line on stderr, nothing on stdout, the stack file untouched."""
    assert result.code == 2
    assert result.out == ""
    assert len(result.err.splitlines()) == 1
    assert project.read("Pulumi.prod.yaml") == before
    return result.err


def test_finish_moves_the_canarys_image_into_the_service_and_removes_the_block(project, fleetctl, with_canary):
    block = canary("web", "1.1.0")
    before = with_canary(web=block)

    result = fleetctl("canary", "finish", "prod")

    assert result.code == 0, result.err
    finished = WEB_IMAGE.replace('"1.0.0"', '"1.1.0"').replace(image_ref("web", "1.0.0"), image_ref("web", "1.1.0"))
    assert project.read("Pulumi.prod.yaml") == before.replace(WEB_IMAGE + block, finished)


def test_finish_moves_the_canarys_host_image_and_instance_type(project, fleetctl, with_canary):
    before = with_canary(web=canary("web", "1.1.0", f"hostImage: {AMI_NEW}", "instanceType: m5.large"))

    result = fleetctl("canary", "finish", "prod")

    assert result.code == 0, result.err
    after = project.read("Pulumi.prod.yaml")
    assert after.count(f"hostImage: {AMI_NEW}") == 1
    assert f"      hostImage: {AMI_NEW}\n      instanceType: m5.large\n" in after
    assert f"hostImage: {AMI_OLD}\n      publicPort: 8081" in after  # api's
    assert len(after.splitlines()) == len(before.splitlines()) - 8
    assert "canary" not in after


def test_finish_keeps_the_comments_of_the_keys_around_the_block(project, fleetctl, with_canary):
    with_canary(api=canary("api", "2.1.0"))

    fleetctl("canary", "finish", "prod")

    after = project.read("Pulumi.prod.yaml")
    assert "    # The public site.\n    web:" in after
    assert 'version: "1.0.0"   # set by fleetctl promote' in after
    assert "# trying" not in after
    assert "# from staging" not in after


def test_finish_prints_what_moved(project, fleetctl, with_canary):
    with_canary(web=canary("web", "1.1.0", f"hostImage: {AMI_NEW}"))

    result = fleetctl("canary", "finish", "prod")

    assert "web: image.version 1.0.0 → 1.1.0" in result.out
    assert f"web: hostImage {AMI_OLD} → {AMI_NEW}" in result.out
    assert "web: canary removed (10% of requests)" in result.out
    assert "Pulumi.prod.yaml: written" in result.out


def test_abort_removes_only_the_canary_block(project, fleetctl, with_canary):
    block = canary("web", "1.1.0", f"hostImage: {AMI_NEW}")
    before = with_canary(web=block)

    result = fleetctl("canary", "abort", "prod")

    assert result.code == 0, result.err
    assert project.read("Pulumi.prod.yaml") == before.replace(block, "")
    assert "web: canary removed (10% of requests)" in result.out


def test_abort_with_service_removes_that_services_canary_only(project, fleetctl, with_canary):
    web_block = canary("web", "1.1.0")
    before = with_canary(web=web_block, api=canary("api", "2.1.0"))

    result = fleetctl("canary", "abort", "prod", "--service", "api")

    assert result.code == 0, result.err
    assert project.read("Pulumi.prod.yaml") == before.replace(canary("api", "2.1.0"), "")


@pytest.mark.parametrize("action", ["finish", "abort"])
def test_dry_run_prints_and_writes_nothing(project, fleetctl, with_canary, action):
    before = with_canary(web=canary("web", "1.1.0"))

    result = fleetctl("canary", action, "prod", "--dry-run")

    assert result.code == 0, result.err
    assert "web: canary removed" in result.out
    assert "not written (--dry-run)" in result.out
    assert project.read("Pulumi.prod.yaml") == before


@pytest.mark.parametrize("action", ["finish", "abort"])
def test_a_file_without_canary_is_refused(project, fleetctl, action):
    before = project.read("Pulumi.prod.yaml")

    result = fleetctl("canary", action, "prod")

    assert refusal(result, project, before) == "fleetctl canary: no service in Pulumi.prod.yaml has a canary\n"


@pytest.mark.parametrize("action", ["finish", "abort"])
def test_a_service_without_canary_is_refused(project, fleetctl, with_canary, action):
    before = with_canary(web=canary("web", "1.1.0"))

    result = fleetctl("canary", action, "prod", "--service", "api")

    assert refusal(result, project, before) == "fleetctl canary: fleet:services.api in Pulumi.prod.yaml has no canary\n"


@pytest.mark.parametrize("action", ["finish", "abort"])
def test_a_service_the_file_does_not_have_is_refused(project, fleetctl, with_canary, action):
    before = with_canary(web=canary("web", "1.1.0"))

    result = fleetctl("canary", action, "prod", "--service", "shop")

    assert refusal(result, project, before) == (
        "fleetctl canary: Pulumi.prod.yaml has no service shop under fleet:services; it has: web, api\n"
    )


@pytest.mark.parametrize("action", ["finish", "abort"])
def test_several_canaries_without_service_are_refused(project, fleetctl, with_canary, action):
    before = with_canary(web=canary("web", "1.1.0"), api=canary("api", "2.1.0"))

    result = fleetctl("canary", action, "prod")

    assert refusal(result, project, before) == (
        "fleetctl canary: several services in Pulumi.prod.yaml have a canary (web, api): pass --service NAME\n"
    )


def test_finishing_a_canary_of_the_live_release_is_refused(project, fleetctl, with_canary):
    before = with_canary(web=canary("web", "1.0.0"))

    result = fleetctl("canary", "finish", "prod")

    assert refusal(result, project, before) == (
        "fleetctl canary: the canary of web in Pulumi.prod.yaml runs the service's own release: there is nothing "
        "to finish; `fleetctl canary abort prod --service web` removes it\n"
    )


def test_a_result_the_program_would_reject_is_not_written(project, fleetctl, with_canary):
    project.edit("Pulumi.prod.yaml", "drainSeconds: 60", "drainSeconds: 9000")
    before = with_canary(web=canary("web", "1.1.0"))

    result = fleetctl("canary", "finish", "prod")

    assert "fleet:services.web.drainSeconds: must be from 0 to 3600" in refusal(result, project, before)


def test_a_canary_written_on_one_line_is_removed_with_its_line(project, fleetctl):
    line = f"      canary: {{image: {{version: '2.1.0', ref: {image_ref('api', '2.1.0')}}}}}\n"
    project.edit("Pulumi.prod.yaml", "publicPort: 8081\n", f"publicPort: 8081\n{line}")
    before = project.read("Pulumi.prod.yaml")

    result = fleetctl("canary", "abort", "prod")

    assert result.code == 0, result.err
    assert project.read("Pulumi.prod.yaml") == before.replace(line, "")
