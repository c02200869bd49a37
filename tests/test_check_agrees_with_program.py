"""`fleetctl check` refuses exactly what the program refuses: each refused config below is refused by both, the
program run under the SDK's mocks and `fleetctl check` on the same stack files, naming the same keys."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from fleet.config_types import ConfigError
from fleetctl.cli import main
from fleetctl.simulation import qualified, reset_runtime, run_program
from tests.checkout import stack_file

OTHER_REGION_CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
OTHER_REGION_TOPIC = "arn:aws:sns:us-east-1:123456789012:fleet-alarms"
Edit = Callable[[dict[str, Any]], None]


def web(config: dict[str, Any]) -> dict[str, Any]:
    services: dict[str, Any] = config["fleet:services"]
    return services["web"]


def certificate_in_another_region(config: dict[str, Any]) -> None:
    config["fleet:tls"] = {"certificateArn": OTHER_REGION_CERTIFICATE}


def alarm_topic_in_another_region(config: dict[str, Any]) -> None:
    config["fleet:alarms"] = {"topicArn": OTHER_REGION_TOPIC}


def no_region(config: dict[str, Any]) -> None:
    del config["aws:region"]


def web_renamed_while_prod_runs_its_image(config: dict[str, Any]) -> None:
    config["fleet:services"] = {"site": config["fleet:services"]["web"]}


def capacity_min_and_desired_both_wrong(config: dict[str, Any]) -> None:
    web(config)["capacity"] = {"min": -1, "desired": 0, "max": 6}


def unknown_key_and_bad_port(config: dict[str, Any]) -> None:
    config["fleet:typo"] = "x"
    web(config)["port"] = 0


def consumers_malformed(config: dict[str, Any]) -> None:
    config["fleet:registry"] = {
        "consumers": [
            {"account": "2109876543", "region": "us-east-1"},
            {"account": "210987654321", "region": "us-east-9"},
        ]
    }


def consumer_in_another_partition(config: dict[str, Any]) -> None:
    config["fleet:registry"] = {"consumers": [{"account": "345678901234", "region": "cn-north-1"}]}


def consumers_where_an_image_is_pinned(config: dict[str, Any]) -> None:
    config["fleet:registry"] = {"consumers": [{"account": "210987654321", "region": "us-east-1"}]}
    web(config)["image"] = copy.deepcopy(stack_file("prod")["fleet:services"]["web"]["image"])


REFUSED: dict[str, tuple[Edit, set[str]]] = {
    "certificate-in-another-region": (certificate_in_another_region, {"fleet:tls.certificateArn"}),
    "alarm-topic-in-another-region": (alarm_topic_in_another_region, {"fleet:alarms.topicArn"}),
    "no-aws-region": (no_region, {"aws:region"}),
    "service-removed-that-prod-runs": (web_renamed_while_prod_runs_its_image, {"fleet:services.web"}),
    "capacity-every-problem": (
        capacity_min_and_desired_both_wrong,
        {"fleet:services.web.capacity.min", "fleet:services.web.capacity"},
    ),
    "unknown-key-and-bad-port": (unknown_key_and_bad_port, {"fleet:typo", "fleet:services.web.port"}),
    "consumer-account-and-region": (
        consumers_malformed,
        {"fleet:registry.consumers[0].account", "fleet:registry.consumers[1].region"},
    ),
    "consumer-in-another-partition": (consumer_in_another_partition, {"fleet:registry.consumers[0].region"}),
    "consumers-on-a-stack-that-pins-an-image": (consumers_where_an_image_is_pinned, {"fleet:registry.consumers"}),
}


def write_stack(project: Path, stack: str, config: dict[str, Any]) -> None:
    (project / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}))


def staging_project(project: Path, edit: Edit) -> dict[str, Any]:
    """The repository's staging and prod stack files in the project, staging edited; staging's config."""
    write_stack(project, "prod", stack_file("prod"))
    config = copy.deepcopy(stack_file("staging"))
    edit(config)
    write_stack(project, "staging", config)
    return config


def program_refusal(project: Path, config: dict[str, Any], outputs: dict[str, Any] | None = None) -> set[str]:
    """The keys the program names when it refuses the config."""
    with pytest.raises(ConfigError) as refusal:
        run_program("staging", config, project_root=project, stack_outputs={qualified("staging"): outputs or {}})
    return {problem.split(": ", 1)[0] for problem in refusal.value.problems}


def check_refusal(project: Path, capsys: pytest.CaptureFixture[str], *options: str) -> set[str]:
    """The keys `fleetctl check staging` names; it must exit 1."""
    assert main(["check", "staging", "--project-dir", str(project), *options]) == 1
    lines = capsys.readouterr().out.splitlines()
    return {line.removeprefix("  - ").split(": ", 1)[0] for line in lines if line.startswith("  - ")}


@pytest.mark.parametrize(("edit", "keys"), REFUSED.values(), ids=REFUSED.keys())
def test_check_refuses_what_the_program_refuses_naming_the_same_keys(project, capsys, edit, keys):
    config = staging_project(project, edit)

    assert program_refusal(project, config) == keys
    reset_runtime()
    assert check_refusal(project, capsys) == keys


def test_given_the_stack_outputs_check_refuses_a_port_change_as_the_program_does(project, capsys, tmp_path):
    config = staging_project(project, lambda config: None)
    deployed = run_program("staging", config, project_root=project).outputs
    reset_runtime()
    web(config)["port"] = 9090
    write_stack(project, "staging", config)
    outputs_file = tmp_path / "outputs.json"
    outputs_file.write_text(json.dumps(deployed))

    assert program_refusal(project, config, deployed) == {"fleet:services.web.port"}
    reset_runtime()
    assert check_refusal(project, capsys, "--from-outputs", str(outputs_file)) == {"fleet:services.web.port"}


def test_without_outputs_check_passes_a_port_change_the_first_deploy_makes(project, capsys):
    staging_project(project, lambda config: web(config).update(port=9090))

    assert main(["check", "staging", "--project-dir", str(project)]) == 0
    assert capsys.readouterr().out.startswith("Pulumi.staging.yaml: OK")


def test_a_plain_password_setting_is_warned_about_by_both_and_refused_by_neither(project, capsys, caplog):
    config = staging_project(project, lambda config: web(config).update(settings={"DB_PASSWORD": "plain"}))
    warning = "fleet:services.web.settings.DB_PASSWORD: is a plain value, but its name says it is a secret"

    run_program("staging", config, project_root=project)
    reset_runtime()
    assert warning in caplog.text
    assert main(["check", "staging", "--project-dir", str(project)]) == 0
    assert f"  warning: {warning}" in capsys.readouterr().out


def test_a_secret_in_the_clear_under_secure_is_refused_by_both(project, capsys):
    config = staging_project(project, lambda config: web(config).update(settings={"DB_PASSWORD": {"secure": "x"}}))

    assert program_refusal(project, config) == {"fleet:services.web.settings.DB_PASSWORD"}
    reset_runtime()
    assert check_refusal(project, capsys) == {"fleet:services.web.settings.DB_PASSWORD"}


def test_given_the_stack_outputs_check_refuses_a_release_with_every_slot_taken_as_the_program_does(
    project, capsys, tmp_path
):
    """Live, warm and canary hold the three release slots (fleet/slots.py): a new release has nowhere to boot."""
    config = staging_project(project, lambda config: None)
    canary = {"image": {"version": "1.1.0", "build": "images/web"}}
    deployed = run_program("staging", config, project_root=project).outputs
    reset_runtime()
    web(config)["image"]["version"] = "1.0.1"
    deployed = run_program(
        "staging", config, project_root=project, stack_outputs={qualified("staging"): deployed}
    ).outputs  # 1.0.1 live, 1.0.0 warm
    reset_runtime()
    web(config)["canary"] = canary
    deployed = run_program(
        "staging", config, project_root=project, stack_outputs={qualified("staging"): deployed}
    ).outputs  # and the canary
    reset_runtime()
    web(config)["image"]["version"] = "1.0.2"
    write_stack(project, "staging", config)
    outputs_file = tmp_path / "outputs.json"
    outputs_file.write_text(json.dumps(deployed))

    assert program_refusal(project, config, deployed) == {"fleet:services.web.image.version"}
    reset_runtime()
    assert check_refusal(project, capsys, "--from-outputs", str(outputs_file)) == {"fleet:services.web.image.version"}
