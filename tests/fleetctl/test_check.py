"""`fleetctl check STACK`: the stack file validated offline exactly as the program reads it."""

from __future__ import annotations

import pytest
from ruamel.yaml import YAML

from fleet.config import fleet_keys, parse_config
from fleet.instance_types import INSTANCE_TYPES
from fleet.release import identify_on_disk
from fleetctl.cli import main
from tests.checkout import ROOT


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_the_repositorys_stack_files_pass(stack, capsys):
    code = main(["--project-dir", str(ROOT), "check", stack])

    assert code == 0
    assert capsys.readouterr().out.startswith(f"Pulumi.{stack}.yaml: OK: 1 service(s) in eu-west-1")


def test_a_valid_stack_is_summarized_with_each_services_release_id(project, fleetctl):
    raw = YAML(typ="safe").load(project.read("Pulumi.staging.yaml"))["config"]
    identities = identify_on_disk(parse_config(fleet_keys(raw), "staging", project.root).services, project.root)

    result = fleetctl("check", "staging")

    assert result.code == 0
    assert result.out.splitlines() == [
        "Pulumi.staging.yaml: OK: 2 service(s) in eu-west-1",
        f"  - web: release {identities['web'].release_id}, version 1.0.0 (build images/web), t3.small, capacity 2/2/6",
        f"  - api: release {identities['api'].release_id}, version 2.0.0 (build images/api), t3.small, capacity 2/2/6",
    ]


@pytest.mark.parametrize(
    ("stack", "old", "new", "problem"),
    [
        (
            "staging",
            "build: images/web",
            "build: images/wbe",
            "fleet:services.web.image.build: must be a directory holding a Dockerfile; "
            "images/wbe/Dockerfile does not exist",
        ),
        (
            "staging",
            "  aws:region: eu-west-1\n",
            "",
            "aws:region: is required: the AWS region the stack deploys to, such as eu-west-1",
        ),
        (
            "staging",
            "aws:region: eu-west-1",
            "aws:region: Ireland",
            "aws:region: must be an AWS region such as eu-west-1; got 'Ireland'",
        ),
        (
            "prod",
            "from: staging",
            "from: stagign",
            "fleet:promotion.from: names stack stagign, but the project has no Pulumi.stagign.yaml "
            "(stacks here: prod, staging)",
        ),
        (
            "prod",
            "from: staging",
            "from: prod",
            "fleet:promotion.from: stack prod cannot be promoted from itself; name the stack that builds",
        ),
        (
            "staging",
            "max: 6",
            "max: 1",
            "fleet:services.web.capacity: desired (2) must not exceed max (1)",
        ),
        (
            "staging",
            "instanceType: t3.small",
            "instanceType: t3.gigantic",
            f"fleet:services.web.instanceType: must be an EC2 instance type, one of the {len(INSTANCE_TYPES)} in the "
            "EC2 API (such as t3.small); got 't3.gigantic'",
        ),
        (
            "staging",
            "    api:\n",
            "    sg-api:\n",
            "fleet:services.sg-api: its hosts' security group would be named sg-api-instances-sg-<7 random>, and EC2 "
            "refuses group names starting with sg- (the prefix of group ids): choose another service name",
        ),
    ],
    ids=[
        "misspelled-build-directory",
        "no-region",
        "malformed-region",
        "unknown-source",
        "own-source",
        "capacity",
        "unknown-instance-type",
        "security-group-name",
    ],
)
def test_a_problem_is_printed_naming_its_key_with_exit_code_1(project, fleetctl, stack, old, new, problem):
    project.edit(f"Pulumi.{stack}.yaml", old, new)

    result = fleetctl("check", stack)

    assert result.code == 1
    assert result.out.splitlines() == [
        f"Pulumi.{stack}.yaml: 1 problem; `pulumi up` would stop before declaring any resource:",
        f"  - {problem}",
    ]


def test_every_problem_is_printed_at_once(project, fleetctl):
    project.edit("Pulumi.prod.yaml", "  aws:region: eu-west-1\n", "")
    project.edit("Pulumi.prod.yaml", "from: staging", "from: qa")
    project.edit("Pulumi.prod.yaml", "drainSeconds: 60", "drainSeconds: -1")

    result = fleetctl("check", "prod")

    assert result.code == 1
    assert result.out.splitlines()[0].startswith("Pulumi.prod.yaml: 3 problems;")
    assert [line.split(":")[0] for line in result.out.splitlines()[1:]] == [
        "  - fleet",
        "  - aws",
        "  - fleet",
    ]


def test_a_qualified_promotion_source_in_another_project_is_not_looked_up(project, fleetctl):
    project.edit("Pulumi.prod.yaml", "from: staging", "from: acme/shop/staging")

    result = fleetctl("check", "prod")

    assert result.code == 0, result.out


def test_a_stack_without_a_stack_file_is_a_command_error_listing_the_stacks(project, fleetctl):
    result = fleetctl("check", "qa")

    assert result.code == 2
    assert result.err == "fleetctl check: the project has no Pulumi.qa.yaml (stacks: prod, staging)\n"


def test_a_yaml_error_names_the_file_and_keeps_the_lines_that_show_where(project, fleetctl):
    project.edit("Pulumi.staging.yaml", "      port: 8080\n", "      port: [8080\n")

    result = fleetctl("check", "staging")

    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[1] == "  - Pulumi.staging.yaml is not valid YAML:"
    assert any(line.strip().startswith('in "Pulumi.staging.yaml", line ') for line in lines)
    assert any(line.strip().startswith("^") for line in lines)
    assert "<byte string>" not in result.out


def test_a_yaml_error_in_another_stack_file_the_program_reads_is_reported_too(project, fleetctl):
    project.edit("Pulumi.prod.yaml", "      drainSeconds: 60\n", "      drainSeconds: [60\n")

    result = fleetctl("check", "staging")

    assert result.code == 1
    assert "  - Pulumi.prod.yaml is not valid YAML:" in result.out.splitlines()


def _replicating_staging(project) -> None:
    text = project.read("Pulumi.staging.yaml")
    consumers = '  fleet:registry:\n    consumers:\n      - {account: "210987654321", region: us-east-1}\n'
    project.write("Pulumi.staging.yaml", text.replace("config:\n", f"config:\n{consumers}", 1))


def test_a_stack_with_consumers_is_summarized_with_where_its_images_replicate(project, fleetctl):
    _replicating_staging(project)

    result = fleetctl("check", "staging")

    assert result.code == 0, result.out
    assert "  - registry: ECR replicates fleet-staging-* to 210987654321 in us-east-1" in result.out.splitlines()


def test_a_promoted_stack_pinning_a_registry_its_source_does_not_replicate_to_is_warned_of(project, fleetctl):
    _replicating_staging(project)

    result = fleetctl("check", "prod")

    assert result.code == 0, result.out
    assert (
        "  ! warning: fleet:services.web.image.ref names the registry of 123456789012 in eu-west-1, which staging's "
        "fleet:registry.consumers do not list"
    ) in result.out


def test_a_promoted_stack_pinning_the_replicated_copy_is_summarized_as_such(project, fleetctl):
    _replicating_staging(project)
    text = project.read("Pulumi.prod.yaml").replace("123456789012.dkr.ecr.eu-west-1", "210987654321.dkr.ecr.us-east-1")
    project.write("Pulumi.prod.yaml", text.replace("aws:region: eu-west-1", "aws:region: us-east-1", 1))

    result = fleetctl("check", "prod")

    assert result.code == 0, result.out
    assert (
        "  - services.web.image.ref: the copy in 210987654321 in us-east-1, which staging replicates to" in result.out
    )


def test_a_ref_in_another_regions_registry_is_a_problem_as_the_program_refuses_it(project, fleetctl):
    text = project.read("Pulumi.prod.yaml")
    project.write("Pulumi.prod.yaml", text.replace("aws:region: eu-west-1", "aws:region: us-east-1", 1))

    result = fleetctl("check", "prod")

    assert result.code == 1
    assert (
        "fleet:services.web.image.ref: names a registry in eu-west-1, but the stack's hosts run in us-east-1"
        in result.out
    )


ZONE_LINE = "  fleet:dns: {zoneId: Z08393152MPN1ODRL6P3L, zoneName: example.com}\n"


def test_a_hostname_outside_the_stacks_zone_is_refused_naming_its_key(project, fleetctl):
    project.edit("Pulumi.staging.yaml", "      port: 8080\n", "      port: 8080\n      hostnames: [web.example.org]\n")
    project.edit("Pulumi.staging.yaml", "  aws:region: eu-west-1\n", "  aws:region: eu-west-1\n" + ZONE_LINE)
    project.edit("Pulumi.staging.yaml", "      publicPort: 8081\n", "      publicPort: 8081\n      httpsPort: 8444\n")

    result = fleetctl("check", "staging")

    assert result.code == 1
    assert result.out.splitlines()[1] == (
        "  - fleet:services.web.hostnames: web.example.org is not in the zone example.com (fleet:dns.zoneName): "
        "fleet writes records only in that zone; use names ending in .example.com, or remove fleet:dns and point "
        "these names at the load balancer yourself"
    )


def test_an_additional_certificate_of_another_region_is_refused_as_the_program_refuses_it(project, fleetctl):
    certificate = "arn:aws:acm:eu-west-1:123456789012:certificate/0c1e2d3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f"
    elsewhere = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
    tls = f"  fleet:tls: {{certificateArn: {certificate}, additionalCertificateArns: [{elsewhere}]}}\n"
    project.edit("Pulumi.staging.yaml", "      port: 8080\n", "      port: 8080\n      hostnames: [web.example.com]\n")
    project.edit("Pulumi.staging.yaml", "  aws:region: eu-west-1\n", "  aws:region: eu-west-1\n" + tls)
    project.edit("Pulumi.staging.yaml", "      publicPort: 8081\n", "      publicPort: 8081\n      httpsPort: 8444\n")

    result = fleetctl("check", "staging")

    assert result.code == 1
    assert result.out.splitlines()[1:] == [
        "  - fleet:tls.additionalCertificateArns[0]: is in us-east-1, but the stack is in eu-west-1 (aws:region): "
        "use one in eu-west-1"
    ]


def test_a_valid_stack_in_a_zone_is_summarized_with_its_records_and_managed_certificate(project, fleetctl):
    project.edit("Pulumi.staging.yaml", "      port: 8080\n", "      port: 8080\n      hostnames: [web.example.com]\n")
    project.edit("Pulumi.staging.yaml", "  aws:region: eu-west-1\n", "  aws:region: eu-west-1\n" + ZONE_LINE)
    project.edit("Pulumi.staging.yaml", "      publicPort: 8081\n", "      publicPort: 8081\n      httpsPort: 8444\n")

    result = fleetctl("check", "staging")

    assert result.code == 0
    assert result.out.splitlines()[-1] == (
        "  names: zone example.com (Z08393152MPN1ODRL6P3L): 1 alias record(s); managed certificate of 1 name(s)"
    )
