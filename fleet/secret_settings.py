"""Which settings are secrets: the program learns it from the stack file, not from the engine.

`pulumi config set --secret --path 'fleet:services.web.settings.DB_PASSWORD' ...` writes `secure: <ciphertext>` at
that path of `Pulumi.<stack>.yaml`. The engine then passes the whole `fleet:services` value decrypted and reports
only its top-level key as secret (pulumi/pulumi sdk/go/common/resource/config: `object.Secure()` is true for a map
holding any ciphertext, `Map.SecureKeys()` lists top-level keys; the Python language host passes them as
PULUMI_CONFIG_SECRET_KEYS). So the program reads the stack file for the `secure:` markers and their ciphertexts,
which also take part in the release identity exactly as `fleetctl diff` sees them, and takes the decrypted values
from the engine. The settings in both must match, or the program stops: it would otherwise guess.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from fleet.config_types import ConfigError, SecretText


def with_secret_settings(
    engine: Mapping[str, Any], stack_file: Mapping[str, Any], stack: str, services_secret: bool
) -> dict[str, Any]:
    """The engine's `fleet:` config with each setting the stack file holds as `secure:` turned into a SecretText.

    `engine` is what Pulumi passed (decrypted), `stack_file` the same keys as written in the stack file,
    `services_secret` whether Pulumi reported `fleet:services` as secret.
    """
    config = copy.deepcopy(dict(engine))
    engine_settings, file_settings = _settings_of(config), _settings_of(stack_file)
    problems = []
    for service in sorted({*engine_settings, *file_settings}):
        passed, written = engine_settings.get(service, {}), file_settings.get(service, {})
        for name in sorted({*passed, *written}, key=str):
            key = f"fleet:services.{service}.settings.{name}"
            secure = _ciphertext(written.get(name))
            if name not in passed or name not in written or (secure is None and passed[name] != written[name]):
                problems.append(
                    f"{key}: differs between the config Pulumi passed and Pulumi.{stack}.yaml; fleet reads which "
                    "settings are secret from the stack file, so set them there (pulumi config set --path, with "
                    "--secret for a secret), not in an ESC environment or another config file"
                )
            elif secure is not None and not services_secret:
                problems.append(
                    f"{key}: is a secret in Pulumi.{stack}.yaml, but Pulumi did not pass fleet:services as secret: "
                    "the stack file read is not the one Pulumi used"
                )
            elif secure is not None:
                passed[name] = SecretText(ciphertext=secure, plaintext=passed[name])
    if problems:
        raise ConfigError(problems)
    return config


def _settings_of(config: Mapping[str, Any]) -> dict[str, dict[Any, Any]]:
    """Each service's `settings` mapping (the same objects, for editing in place), where it is one."""
    services = config.get("services")
    if not isinstance(services, dict):
        return {}
    return {
        name: service["settings"]
        for name, service in services.items()
        if isinstance(service, dict) and isinstance(service.get("settings"), dict)
    }


def _ciphertext(value: Any) -> str | None:
    """The ciphertext of a stack file's `{secure: ...}` value, None for a plain value."""
    if isinstance(value, dict) and set(value) == {"secure"} and isinstance(value["secure"], str):
        return value["secure"]
    return None
