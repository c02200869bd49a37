"""`fleetctl check`, `plan` and `diff` know hostnames: check refuses what the program refuses and says where each
service is reached, plan shows its host rule, diff calls a hostname change a routing change, not a release."""

from __future__ import annotations

from fleetctl.cli import main
from tests.fleetctl.test_diff import service_lines
from tests.fleetctl.test_plan import HOST_IMAGE_LINE, repository_with_staging_edited

WEB_HOSTS = '      hostImage: ami-0a1b2c3d4e5f60718\n      instanceType: t3.small\n      hostnames: ["www.example.com"]'
WEB_HOST_IMAGE = "      hostImage: ami-0a1b2c3d4e5f60718\n      instanceType: t3.small"


def test_check_shows_the_hostnames_and_own_port_of_each_service_on_hostnames(project, fleetctl):
    project.edit("Pulumi.staging.yaml", WEB_HOST_IMAGE, WEB_HOSTS)
    project.edit("Pulumi.staging.yaml", "publicPort: 8081", 'publicPort: 8081\n      hostnames: ["api.example.com"]')

    result = fleetctl("check", "staging")

    assert result.code == 0, result.out
    web, api = result.out.splitlines()[1:]
    assert web.endswith("capacity 2/2/6, hostnames www.example.com")
    assert api.endswith(", hostnames api.example.com, port 8081")


def test_check_refuses_a_malformed_hostname_naming_its_key(project, fleetctl):
    project.edit("Pulumi.staging.yaml", WEB_HOST_IMAGE, WEB_HOSTS.replace("www.example.com", "WWW.example.com"))

    result = fleetctl("check", "staging")

    assert result.code == 1
    assert result.out.splitlines()[1].startswith(
        "  - fleet:services.web.hostnames[0]: must be a lowercase DNS name of at most 128 characters"
    )


def test_check_refuses_the_shared_port_to_a_service_on_its_own_port(project, fleetctl):
    project.edit("Pulumi.staging.yaml", "publicPort: 8081", 'publicPort: 8081\n      hostnames: ["api.example.com"]')

    result = fleetctl("check", "staging")

    assert result.code == 1
    assert result.out.splitlines()[1].startswith(
        "  - fleet:services.web.publicPort: port 80 is the shared HTTP listener of the services with hostnames (api)"
    )


def test_diff_shows_a_hostname_change_as_routing_not_a_release(project, fleetctl):
    base = project.git("rev-parse", "HEAD")
    project.edit("Pulumi.staging.yaml", WEB_HOST_IMAGE, WEB_HOSTS)

    result = fleetctl("diff", base)

    assert result.code == 0, result.out
    assert service_lines(result.out, "staging", "web") == [
        "- **web**: **routing** (listener rules and listeners change in place or beside; no release, the hosts "
        "stay): hostnames, publicPort, httpsPort",
        "  - hostnames: `[]` → `[www.example.com]`",
        "  - publicPort: `80` → `null`",
        "  - httpsPort: `443` → `null`",
    ]
    assert "**release**" not in result.out


def test_plan_shows_the_host_rule_of_a_service_on_hostnames(tmp_path, capsys):
    hostnames = '      hostnames: ["www.example.com"]\n'
    project = repository_with_staging_edited(tmp_path, HOST_IMAGE_LINE, hostnames + HOST_IMAGE_LINE)

    code = main(["--project-dir", str(project), "plan", "staging"])

    out = capsys.readouterr().out
    assert code == 0, out
    (line,) = [line for line in out.splitlines() if line.startswith("  routing:")]
    assert line.startswith("  routing:        www.example.com on the shared listener (http://www.example.com), host")
    assert line.endswith("; other hosts get 404")
