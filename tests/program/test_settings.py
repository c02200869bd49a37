"""Settings become SSM parameters under the service's path; secrets stay secret everywhere else; a change is a release.

Each test runs a copy of the program next to a stack file written as `pulumi config set --path [--secret]` leaves
it (secrets as `secure:` ciphertexts) and passes the program the config as Pulumi would: decrypted, with
`fleet:services` reported as secret.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml

import components.settings
from fleet.config_types import ConfigError
from fleet.resource_types import AUTOSCALING_GROUP, IAM_ROLE_POLICY, LAUNCH_TEMPLATE, SSM_PARAMETER
from fleetctl.simulation import ProgramRun
from policy.__main__ import evaluate
from policy.records import declared
from tests.checkout import stack_file
from tests.ciphertexts import ciphertext

RELEASE = {f"{LAUNCH_TEMPLATE}::web-release-launch-template", f"{AUTOSCALING_GROUP}::web-release-group"}
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
"""How the SDK marks a secret value on the wire (pulumi.runtime.rpc `_special_secret_sig`)."""
SECRET = "hunter2-Zq8vX-distinctive-secret"
CIPHERTEXT = ciphertext("db password")
SETTINGS = {"LOG_LEVEL": "debug", "WORKERS": 4, "DB_PASSWORD": {"secure": CIPHERTEXT}}


@pytest.fixture(scope="module")
def _runs() -> dict[str, ProgramRun]:
    return {}


@pytest.fixture
def deploy_once(deploy, _runs: dict[str, ProgramRun]) -> Callable[..., ProgramRun]:
    """`deploy(settings, secrets)`, each run once in this module: for the tests that only read the run."""

    def run(settings: dict[str, Any], secrets: dict[str, str]) -> ProgramRun:
        key = repr((settings, secrets))
        if key not in _runs:
            _runs[key] = deploy(settings, secrets)
        return _runs[key]

    return run


@pytest.fixture
def deployed(deploy_once) -> ProgramRun:
    """`deploy(SETTINGS, {"DB_PASSWORD": SECRET})`, run once in this module."""
    return deploy_once(SETTINGS, {"DB_PASSWORD": SECRET})


def parameters(run: ProgramRun) -> dict[str, dict[str, Any]]:
    return {resource.inputs["name"]: resource.inputs for resource in run.of_type(SSM_PARAMETER)}


def test_each_setting_is_a_parameter_under_the_service_path(deployed):
    assert sorted(parameters(deployed)) == [
        "/fleet/staging/web/DB_PASSWORD",
        "/fleet/staging/web/LOG_LEVEL",
        "/fleet/staging/web/WORKERS",
    ]


def secret(value: Any) -> dict[str, Any]:
    return {"4dabf18193072939515e22adb298388d": SECRET_SIG, "value": value}


def test_plain_settings_are_string_parameters_with_their_text(deployed):
    plain = parameters(deployed)

    # pulumi-aws makes every parameter value a secret in the state (ssm/parameter.py), plain ones included.
    assert (plain["/fleet/staging/web/LOG_LEVEL"]["type"], plain["/fleet/staging/web/LOG_LEVEL"]["value"]) == (
        "String",
        secret("debug"),
    )
    assert plain["/fleet/staging/web/WORKERS"]["value"] == secret("4")


def test_a_secret_setting_is_a_secure_string_whose_value_is_a_pulumi_secret(deployed):
    parameter = parameters(deployed)["/fleet/staging/web/DB_PASSWORD"]

    assert parameter["type"] == "SecureString"
    assert parameter["value"] == secret(SECRET)


def test_parameters_are_children_of_the_service_settings_component(deployed):
    assert {resource.parent for resource in deployed.of_type(SSM_PARAMETER)} == {"web-settings"}
    assert deployed.one("fleet:settings:Settings").parent == "web"


def plain_texts(value: Any) -> Iterator[str]:
    """Every string in a value that is not inside a secret, base64 user data decoded too."""
    if isinstance(value, dict):
        if value.get("4dabf18193072939515e22adb298388d") == SECRET_SIG:
            return
        for key, item in value.items():
            yield str(key)
            yield from plain_texts(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from plain_texts(item)
    elif isinstance(value, str):
        yield value
        with contextlib.suppress(ValueError):
            yield base64.b64decode(value, validate=True).decode()
    elif value is not None:
        yield str(value)


def test_no_secret_value_appears_outside_the_secret_parameter_value(deploy, capsys):
    run = deploy(SETTINGS, {"DB_PASSWORD": SECRET})

    declared = [
        (resource.type, resource.name, text) for resource in run.resources for text in plain_texts(resource.inputs)
    ]
    assert [where for where in declared if SECRET in where[2]] == []
    assert SECRET not in json.dumps(run.outputs)
    captured = capsys.readouterr()
    assert SECRET not in captured.out + captured.err


def test_user_data_pins_each_parameter_version_and_never_a_value(deployed):
    user_data = base64.b64decode(deployed.one(LAUNCH_TEMPLATE).inputs["userData"]).decode()
    assert "readonly FLEET_SETTINGS='DB_PASSWORD:1 LOG_LEVEL:1 WORKERS:1'\n" in user_data
    assert "debug" not in user_data


def test_a_service_without_settings_declares_no_parameters(program, staging_config):
    run = program("staging", staging_config)

    assert run.of_type(SSM_PARAMETER) == []
    assert "readonly FLEET_SETTINGS=''\n" in base64.b64decode(run.one(LAUNCH_TEMPLATE).inputs["userData"]).decode()


def triggers(run: ProgramRun) -> dict[str, Any]:
    return {key: r.replacement_trigger for key, r in run.by_name().items() if r.replacement_trigger is not None}


@pytest.mark.parametrize(
    "change",
    [
        {"LOG_LEVEL": "info"},
        {"DB_PASSWORD": {"secure": ciphertext("db password, set again")}},
        {"NEW_KEY": "x"},
    ],
    ids=["plain value", "secret set again", "key added"],
)
def test_a_settings_change_is_a_release_of_the_service(deploy_once, deployed, change):
    before = deployed
    after = deploy_once({**SETTINGS, **change}, {"DB_PASSWORD": SECRET})

    old, new = triggers(before), triggers(after)
    assert old.keys() == new.keys() == RELEASE
    assert all(old[key] != new[key] for key in old)


def test_a_settings_change_touches_only_the_release_and_the_changed_parameter(deploy_once, deployed):
    before = deployed.by_name()
    after = deploy_once({**SETTINGS, "LOG_LEVEL": "info"}, {"DB_PASSWORD": SECRET}).by_name()

    assert before.keys() == after.keys()
    assert {key for key in before if before[key].inputs != after[key].inputs} == {
        f"{SSM_PARAMETER}::web-settings-LOG_LEVEL",
        *RELEASE,
    }


def test_removing_a_setting_removes_its_parameter(deploy):
    run = deploy({"LOG_LEVEL": "debug"})

    assert list(parameters(run)) == ["/fleet/staging/web/LOG_LEVEL"]


def test_a_setting_pulumi_passed_but_the_stack_file_lacks_stops_the_program(deploy):
    with pytest.raises(ConfigError, match=r"fleet:services\.web\.settings\.EXTRA: differs between"):
        deploy({"LOG_LEVEL": "debug"}, {"EXTRA": "from an ESC environment"})


def test_a_secret_in_the_stack_file_that_pulumi_did_not_report_as_secret_stops_the_program(program, project):
    written = copy.deepcopy(stack_file("staging"))
    written["fleet:services"]["web"]["settings"] = {"DB_PASSWORD": {"secure": CIPHERTEXT}}
    (project / "Pulumi.staging.yaml").write_text(yaml.safe_dump({"config": written}))
    passed = copy.deepcopy(written)
    passed["fleet:services"]["web"]["settings"]["DB_PASSWORD"] = SECRET

    with pytest.raises(ConfigError, match="did not pass fleet:services as secret") as error:
        program("staging", passed, project_root=project, secret_keys=[])
    assert SECRET not in str(error.value)


def test_host_role_reads_only_the_service_settings_path(deployed):
    policy = json.loads(deployed.one(IAM_ROLE_POLICY).inputs["policy"])
    ssm = [statement for statement in policy["Statement"] if any("ssm:" in a for a in _actions(statement))]
    assert ssm == [
        {
            "Sid": "ReadSettings",
            "Effect": "Allow",
            "Action": "ssm:GetParameters",
            "Resource": [
                "arn:aws:ssm:eu-west-1:123456789012:parameter/fleet/staging/web",
                "arn:aws:ssm:eu-west-1:123456789012:parameter/fleet/staging/web/*",
            ],
        }
    ]


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else actions


def violations(run: ProgramRun) -> list[tuple[str, str]]:
    records = [
        declared(r.type, r.name, r.inputs, r.options, resource_id=r.resource_id)
        for r in run.resources
        if not r.type.startswith(("fleet:", "pulumi:"))
    ]
    return [(violation.policy, violation.urn.rsplit("::", 1)[-1]) for violation in evaluate(records)]


def test_a_service_with_settings_passes_every_policy(deployed):
    assert violations(deployed) == []


def test_a_secret_stored_as_plain_string_is_caught_by_the_policy_pack(deploy, monkeypatch):
    real = components.settings.aws.ssm.Parameter

    def plaintext(resource_name, **kwargs):
        return real(resource_name, **{**kwargs, "type": "String"})

    monkeypatch.setattr(components.settings.aws.ssm, "Parameter", plaintext)

    assert violations(deploy(SETTINGS, {"DB_PASSWORD": SECRET})) == [
        ("secret-setting-is-secure-string", "web-settings-DB_PASSWORD")
    ]
