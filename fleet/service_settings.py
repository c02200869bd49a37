"""The settings of a service: the environment variables of its container, and what their names and values may be.

`Settings` is the kind of a service's `settings` key (`fleet.config.SERVICE`): names an environment file can carry
and fleet does not set itself, values an SSM standard parameter holds, and secrets as `secure: <ciphertext>`, whose
form is checked without a message ever showing the value. `plain_secret_warnings` is what a deploy says of a plain
setting whose name says it is a secret. Which settings the program receives as secrets is `fleet.secret_settings`.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from fleet.config_types import FleetConfig, SecretText, Setting
from fleet.names import NAMESPACE
from fleet.schema import INVALID, Kind, Problems, describe

SETTING_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,127}$")
MAX_SETTINGS = 50
"""Settings per service: each is an SSM parameter whose name and version the launch template's user data carries."""
MAX_SETTING_BYTES = 4096
"""The value size of an SSM standard-tier parameter."""
RESERVED_SETTINGS = frozenset({"PORT", "APP_VERSION"})
RESERVED_SETTING_PREFIX = "FLEET_"
"""Names the boot script sets itself (PORT, APP_VERSION, FLEET_STACK...): a setting may not override them."""


class Settings(Kind):
    """The settings of a service, by name. A secret is `{secure: <ciphertext>}` in a stack file, or a `SecretText`
    in the program; no message about a secret ever shows its value."""

    allowed = (
        f"at most {MAX_SETTINGS}, each `NAME: value`. `NAME`: 1-128 characters from A-Z 0-9 _, not starting with a "
        f"digit, not {', '.join(sorted(RESERVED_SETTINGS))} or {RESERVED_SETTING_PREFIX}*. value: a string, a whole "
        f"number or true/false, one line, 1-{MAX_SETTING_BYTES} bytes; or `secure: <ciphertext>` "
        "(`pulumi config set --secret --path`)"
    )

    def parse(self, problems: Problems, key: str, value: Any) -> Any:
        if not isinstance(value, dict):
            problems.add(key, f"must map environment variable names to values; got {describe(value)}")
            return INVALID
        if len(value) > MAX_SETTINGS:
            problems.add(key, f"at most {MAX_SETTINGS} settings per service; got {len(value)}")
        settings = []
        for name, raw in value.items():
            setting_key = f"{key}.{name}"
            if not isinstance(name, str) or not SETTING_NAME.match(name):
                problems.add(
                    setting_key,
                    "setting names must be environment variable names: 1-128 characters from A-Z 0-9 _, "
                    "not starting with a digit",
                )
            elif name in RESERVED_SETTINGS or name.startswith(RESERVED_SETTING_PREFIX):
                problems.add(
                    setting_key,
                    f"is set by fleet on every host ({', '.join(sorted(RESERVED_SETTINGS))}, "
                    f"{RESERVED_SETTING_PREFIX}*); choose another name",
                )
            else:
                setting = _setting(problems, setting_key, name, raw)
                if setting is not None:
                    settings.append(setting)
        return tuple(sorted(settings, key=lambda setting: setting.name))


def _setting(problems: Problems, key: str, name: str, raw: Any) -> Setting | None:
    if isinstance(raw, dict) and set(raw) == {"secure"}:
        wrong = _ciphertext_problem(raw["secure"], key)
        if wrong:
            problems.add(key, wrong)
            return None
        return Setting(name=name, value=None, ciphertext=raw["secure"])
    secret = isinstance(raw, SecretText)
    if secret and (wrong := _ciphertext_problem(raw.ciphertext, key)):
        problems.add(key, wrong)
        return None
    text = _setting_text(raw.plaintext if secret else raw)
    if text is None:
        shown = "a secret of another type" if secret else describe(raw)
        problems.add(key, f"must be a string, a whole number or true/false (quote anything else); got {shown}")
    elif not text:
        problems.add(key, "must not be empty (an SSM parameter holds at least one character); remove the key instead")
    elif len(text.encode()) > MAX_SETTING_BYTES:
        problems.add(key, f"is {len(text.encode())} bytes; at most {MAX_SETTING_BYTES} (SSM standard tier)")
    elif any(ord(character) < 32 or ord(character) == 127 for character in text):
        problems.add(key, "must be one line without control characters: hosts pass settings as an environment file")
    else:
        return Setting(name=name, value=text, ciphertext=raw.ciphertext if secret else None)
    return None


def set_secret_command(key: str) -> str:
    """The command that stores the setting at `key` (`services.web.settings.DB_PASSWORD`) as a secret."""
    return f"pulumi config set --secret --path '{NAMESPACE}:{key}' <value>"


def _ciphertext_problem(ciphertext: Any, key: str) -> str | None:
    """Why a `secure:` value is no ciphertext Pulumi wrote, or None. It never shows the value: a secret typed
    in the clear is still a secret."""
    fix = f"set the secret with `{set_secret_command(key)}`, which writes its ciphertext"
    if not isinstance(ciphertext, str) or not ciphertext:
        return f"secure: holds nothing; {fix}"
    if not is_ciphertext(ciphertext):
        return f"secure: holds text that is not a ciphertext Pulumi wrote (the secret in the clear?); {fix}"
    return None


AES_GCM_NONCE_BYTES = 12
AES_GCM_TAG_BYTES = 16
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY$")
"""A setting name that says its value is a secret (DB_PASSWORD, API_TOKEN, STRIPE_KEY)."""


def is_ciphertext(text: str) -> bool:
    """Whether `text` has the form of a ciphertext a Pulumi secrets manager writes (pulumi/pulumi, 2026-08):
    - passphrase and cloud KMS managers: `v1:<nonce>:<AES-256-GCM ciphertext>`, both standard base64, the nonce
      12 bytes and the ciphertext at least its 16-byte tag (sdk/go/common/resource/config/crypt.go
      `symmetricCrypter`, used with a data key by pkg/secrets/cloud);
    - the Pulumi Cloud manager: the service's ciphertext in standard base64 (pkg/secrets/service/manager.go
      `DecryptValue`).
    """
    parts = text.split(":")
    if parts[0] == "v1" and len(parts) == 3:
        nonce, sealed = _base64(parts[1]), _base64(parts[2])
        return len(nonce or b"") == AES_GCM_NONCE_BYTES and len(sealed or b"") >= AES_GCM_TAG_BYTES
    return len(_base64(text) or b"") > 0


def _base64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        return None


def plain_secret_warnings(config: FleetConfig) -> list[str]:
    """A plain setting whose name says it is a secret is stored as a plain SSM String and shown in the stack file:
    said, not refused (only the operator knows whether LOG_TOKEN_FORMAT is secret)."""
    return [
        f"{NAMESPACE}:{key}: is a plain value, but its name says it is a secret: it is written in the clear in "
        f"Pulumi.{config.stack}.yaml and stored as a plain SSM String. If it is a secret, set it with "
        f"`{set_secret_command(key)}`"
        for service in config.services
        for setting in service.settings
        if not setting.secret
        and SECRET_NAME.search(setting.name)
        and (key := f"services.{service.name}.settings.{setting.name}")
    ]


def _setting_text(value: Any) -> str | None:
    """A setting's value as the container sees it: text as is, true/false, whole numbers as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str):
        return str(value)
    return None
