"""`fleet:services.<name>.settings`: environment variables of the container, validated all at once, secrets unseen."""

from __future__ import annotations

from typing import Any

import pytest

from fleet.config import fleet_keys, parse_config
from fleet.config_types import ConfigError, SecretText, Setting
from fleet.release import identify
from fleet.secret_settings import with_secret_settings
from fleet.service_settings import MAX_SETTINGS, plain_secret_warnings
from tests.checkout import ROOT, stack_file
from tests.ciphertexts import ciphertext

SECRET = "s3cr3t-value-never-shown"

CIPHERTEXT = ciphertext("db password")
OTHER_CIPHERTEXT = ciphertext("db password, set again")


def with_settings(settings: Any) -> dict[str, Any]:
    raw = fleet_keys(stack_file("staging"))
    raw["services"]["web"]["settings"] = settings
    return raw


def parsed(settings: Any) -> tuple[Setting, ...]:
    (web,) = parse_config(with_settings(settings), "staging", ROOT).services
    return web.settings


def problems(settings: Any) -> list[str]:
    with pytest.raises(ConfigError) as error:
        parse_config(with_settings(settings), "staging", ROOT)
    return error.value.problems


def test_settings_default_to_none():
    (web,) = parse_config(fleet_keys(stack_file("staging")), "staging", ROOT).services

    assert web.settings == ()


def test_strings_whole_numbers_and_booleans_are_text_for_the_container():
    settings = parsed({"LOG_LEVEL": "debug", "WORKERS": 4, "DEBUG": True, "CACHE": False})

    assert [(s.name, s.value, s.secret) for s in settings] == [
        ("CACHE", "false", False),
        ("DEBUG", "true", False),
        ("LOG_LEVEL", "debug", False),
        ("WORKERS", "4", False),
    ]


def test_a_secure_value_in_a_stack_file_is_a_secret_known_by_its_ciphertext():
    (setting,) = parsed({"DB_PASSWORD": {"secure": CIPHERTEXT}})

    assert (setting.name, setting.value, setting.ciphertext, setting.secret) == ("DB_PASSWORD", None, CIPHERTEXT, True)


def test_a_secret_the_program_received_keeps_its_ciphertext_and_value():
    (setting,) = parsed({"DB_PASSWORD": SecretText(ciphertext=CIPHERTEXT, plaintext=SECRET)})

    assert (setting.value, setting.ciphertext) == (SECRET, CIPHERTEXT)
    assert SECRET not in repr(setting)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("lower", "must be environment variable names"),
        ("1ST", "must be environment variable names"),
        ("WITH-DASH", "must be environment variable names"),
        ("X" * 129, "must be environment variable names"),
        ("PORT", "is set by fleet on every host (APP_VERSION, PORT, FLEET_*)"),
        ("APP_VERSION", "is set by fleet on every host"),
        ("FLEET_RELEASE", "is set by fleet on every host"),
    ],
)
def test_bad_or_reserved_names_are_rejected_naming_the_key(name, message):
    (problem,) = problems({name: "x"})

    assert problem.startswith(f"fleet:services.web.settings.{name}: ")
    assert message in problem


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1.5, "must be a string, a whole number or true/false (quote anything else); got float 1.5"),
        (None, "must be a string, a whole number or true/false"),
        (["a"], "must be a string, a whole number or true/false"),
        ("", "must not be empty"),
        ("x" * 4097, "is 4097 bytes; at most 4096 (SSM standard tier)"),
        ("é" * 2049, "is 4098 bytes; at most 4096"),
        ("two\nlines", "must be one line without control characters"),
    ],
)
def test_bad_values_are_rejected_naming_the_key(value, message):
    (problem,) = problems({"VALUE": value})

    assert problem.startswith("fleet:services.web.settings.VALUE: ")
    assert message in problem


def test_a_value_of_exactly_4096_bytes_is_accepted():
    (setting,) = parsed({"BIG": "x" * 4096})

    assert len(setting.value or "") == 4096


def test_a_bad_secret_value_is_reported_without_showing_it():
    problem = problems({"TOKEN": SecretText(ciphertext=CIPHERTEXT, plaintext=SECRET + "\n")})

    assert problem == [
        "fleet:services.web.settings.TOKEN: must be one line without control characters: hosts pass "
        "settings as an environment file"
    ]


def test_too_many_settings_are_rejected():
    assert problems({f"KEY_{n}": "x" for n in range(MAX_SETTINGS + 1)}) == [
        f"fleet:services.web.settings: at most {MAX_SETTINGS} settings per service; got {MAX_SETTINGS + 1}"
    ]


def test_settings_must_be_a_mapping():
    assert problems(["A=1"]) == [
        "fleet:services.web.settings: must map environment variable names to values; got list ['A=1']"
    ]


def test_every_bad_setting_is_reported_at_once():
    assert [p.split(":", 2)[1] for p in problems({"PORT": "1", "bad": "x", "EMPTY": ""})] == [
        "services.web.settings.PORT",
        "services.web.settings.bad",
        "services.web.settings.EMPTY",
    ]


# The release identity: the program and `fleetctl diff` must agree, and a secret takes part by its ciphertext.


def identity_of(settings: Any):
    (web,) = parse_config(with_settings(settings), "staging", ROOT).services
    return identify(web, "boot", {"Dockerfile": b"FROM scratch\n"})


def test_the_program_and_the_stack_file_give_a_secret_setting_the_same_release_id():
    from_file = identity_of({"DB_PASSWORD": {"secure": CIPHERTEXT}, "LOG_LEVEL": "debug"})
    in_program = identity_of({"DB_PASSWORD": SecretText(CIPHERTEXT, SECRET), "LOG_LEVEL": "debug"})

    assert in_program.release_id == from_file.release_id


def test_a_new_ciphertext_is_a_new_release_naming_only_that_setting():
    before = identity_of({"DB_PASSWORD": {"secure": CIPHERTEXT}, "LOG_LEVEL": "debug"})
    after = identity_of({"DB_PASSWORD": {"secure": OTHER_CIPHERTEXT}, "LOG_LEVEL": "debug"})

    assert after.release_id != before.release_id
    assert [change.field for change in after.changes_since(before)] == ["settings"]
    assert after.changed_settings(before) == ["DB_PASSWORD"]


def test_added_and_removed_settings_are_named():
    before = identity_of({"A": "1", "B": "2"})
    after = identity_of({"B": "2", "C": "3"})

    assert after.changed_settings(before) == ["A", "C"]


def test_the_identity_reveals_no_secret_value():
    identity = identity_of({"DB_PASSWORD": SecretText(CIPHERTEXT, SECRET)})

    assert SECRET not in repr(identity)


# Secretness comes from the stack file: the engine passes `fleet:services` decrypted, secret only as a whole.


def test_a_secure_setting_of_the_stack_file_becomes_a_secret_text_of_the_decrypted_value():
    engine = with_settings({"DB_PASSWORD": SECRET, "LOG_LEVEL": "debug"})
    written = with_settings({"DB_PASSWORD": {"secure": CIPHERTEXT}, "LOG_LEVEL": "debug"})

    marked = with_secret_settings(engine, written, "staging", services_secret=True)

    assert marked["services"]["web"]["settings"] == {
        "DB_PASSWORD": SecretText(CIPHERTEXT, SECRET),
        "LOG_LEVEL": "debug",
    }
    assert engine["services"]["web"]["settings"]["DB_PASSWORD"] == SECRET


def test_a_plain_value_that_differs_from_the_stack_file_stops_the_program():
    engine = with_settings({"LOG_LEVEL": "info"})
    written = with_settings({"LOG_LEVEL": "debug"})

    with pytest.raises(ConfigError, match=r"fleet:services\.web\.settings\.LOG_LEVEL: differs between"):
        with_secret_settings(engine, written, "staging", services_secret=False)


def test_a_setting_missing_from_what_pulumi_passed_stops_the_program():
    engine = with_settings({})
    written = with_settings({"DB_PASSWORD": {"secure": CIPHERTEXT}})

    with pytest.raises(ConfigError, match=r"settings\.DB_PASSWORD: differs between"):
        with_secret_settings(engine, written, "staging", services_secret=True)


FIX = "pulumi config set --secret --path 'fleet:services.web.settings.DB_PASSWORD' <value>"


def test_a_secret_written_in_the_clear_under_secure_is_refused_without_showing_it():
    [problem] = problems({"DB_PASSWORD": {"secure": "hunter2"}})

    assert problem.startswith("fleet:services.web.settings.DB_PASSWORD: secure: holds text that is not a ciphertext")
    assert FIX in problem
    assert "hunter2" not in problem


def test_an_empty_secure_value_is_refused_saying_it_holds_nothing():
    [problem] = problems({"DB_PASSWORD": {"secure": ""}})

    assert problem == (
        f"fleet:services.web.settings.DB_PASSWORD: secure: holds nothing; set the secret with `{FIX}`, which writes "
        "its ciphertext"
    )


@pytest.mark.parametrize(
    "written",
    [
        ciphertext("db password"),
        "AAABAKZpbmFsbHktYS1zZXJ2aWNlLWNpcGhlcnRleHQ=",  # the Pulumi Cloud manager's: base64, no prefix
    ],
    ids=["passphrase-or-kms", "pulumi-cloud"],
)
def test_the_ciphertexts_pulumis_secrets_managers_write_are_accepted(written):
    (setting,) = parsed({"DB_PASSWORD": {"secure": written}})

    assert setting.ciphertext == written


def test_a_v1_ciphertext_whose_nonce_or_sealed_text_has_the_wrong_size_is_refused():
    nonce, sealed = ciphertext("db password").split(":")[1:]

    assert problems({"DB_PASSWORD": {"secure": f"v1:{sealed}:{sealed}"}}) != []
    assert problems({"DB_PASSWORD": {"secure": f"v1:{nonce}:{nonce}"}}) != []


@pytest.mark.parametrize("name", ["DB_PASSWORD", "CLIENT_SECRET", "API_TOKEN", "STRIPE_KEY"])
def test_a_plain_value_for_a_setting_named_as_a_secret_is_warned_about_naming_the_fix(name):
    config = parse_config(with_settings({name: "plain-text"}), "staging", ROOT)

    [warning] = plain_secret_warnings(config)

    assert warning.startswith(f"fleet:services.web.settings.{name}: is a plain value, but its name says")
    assert f"pulumi config set --secret --path 'fleet:services.web.settings.{name}' <value>" in warning
    assert "plain-text" not in warning


@pytest.mark.parametrize(
    "settings",
    [{"LOG_LEVEL": "debug", "KEYBOARD": "us"}, {"DB_PASSWORD": {"secure": ciphertext("db password")}}],
    ids=["names-of-no-secret", "a-secret"],
)
def test_plain_settings_of_other_names_and_secrets_are_not_warned_about(settings):
    assert plain_secret_warnings(parse_config(with_settings(settings), "staging", ROOT)) == []
