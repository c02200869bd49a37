"""Rules on what a host is: its launch template (metadata service, key pair, volumes) and its boot script (the
image it runs, the packages it must not install), and the settings it reads at boot."""

from __future__ import annotations

import base64
import binascii
import re
import shlex
from collections.abc import Iterator

from fleet.names import SECRET_TAG

from .base import as_dict, as_list, tags_of
from .records import UNKNOWN, Resource

DIGEST_PINNED_IMAGE = re.compile(r"[^\s@$]+@sha256:[0-9a-f]{64}")


def launch_template_requires_imdsv2(resource: Resource) -> list[str]:
    tokens = as_dict(resource.props.get("metadataOptions")).get("httpTokens")
    if tokens in ("required", UNKNOWN):
        return []
    return [
        f"Launch template must require IMDSv2 (metadataOptions.httpTokens is {tokens!r}): set metadata_options="
        '{"http_tokens": "required", "http_put_response_hop_limit": 2}.'
    ]


def launch_template_has_no_key_pair(resource: Resource) -> list[str]:
    if not resource.props.get("keyName"):
        return []
    return [
        f"Launch template sets key_name={resource.props['keyName']!r}: remove it. Hosts are immutable; ship changes "
        "as a new release and use SSM Session Manager for debugging."
    ]


def launch_template_encrypts_root_volume(resource: Resource) -> list[str]:
    mappings = resource.props.get("blockDeviceMappings")
    if mappings is UNKNOWN:
        return []
    fix = 'set block_device_mappings=[{"device_name": <root device>, "ebs": {"encrypted": "true", ...}}].'
    if not as_list(mappings):
        return [f"Launch template leaves the root volume to the AMI's defaults, which may be unencrypted: {fix}"]
    return [
        f"Launch template volume {mapping.get('deviceName')!r} is not encrypted: {fix}"
        for mapping in map(as_dict, as_list(mappings))
        if "ebs" in mapping and as_dict(mapping["ebs"]).get("encrypted") not in ("true", True, UNKNOWN)
    ]


_FLAGS_WITHOUT_VALUE = frozenset(
    {
        "--rm",
        "--detach",
        "--interactive",
        "--tty",
        "--init",
        "--privileged",
        "--read-only",
        "--publish-all",
        "--no-healthcheck",
        "--oom-kill-disable",
        "--all-tags",
        "--quiet",
        "--disable-content-trust",
    }
)


_SHORT_FLAGS_WITHOUT_VALUE = frozenset("ditPaq")


_DOCKER_IMAGE_COMMAND = re.compile(r"\bdocker\s+(?:container\s+|image\s+)?(?:run|create|pull)\s(.*)")


def _command_words(line: str) -> Iterator[str]:
    """Shell words of one command line, up to the first operator (`;`, `&&`, `|`...)."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        words = list(lexer)
    except ValueError:  # unbalanced quotes: fall back to plain words
        words = line.split()
    for word in words:
        if set(word) <= set(";&|()<>"):
            return
        yield word


def _image_operand(arguments: str) -> str | None:
    """The image of `docker run|create|pull [OPTIONS] IMAGE ...`: the first word that is not an option."""
    words = _command_words(arguments)
    for word in words:
        if not word.startswith("-"):
            return word
        takes_value = not (
            "=" in word
            or word in _FLAGS_WITHOUT_VALUE
            or (not word.startswith("--") and set(word[1:]) <= _SHORT_FLAGS_WITHOUT_VALUE)
        )
        if takes_value:
            next(words, None)
    return None


_SHELL_ASSIGNMENT = re.compile(r"(?:(?:readonly|export|declare(?:\s+-\w+)*)\s+)?([A-Za-z_]\w*)=(.*)")


_SHELL_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))")


def boot_script_images(script: str) -> list[str | None]:
    """Images the boot script runs, creates or pulls with docker (None where a command names no image).

    The program prepends the release's values as `readonly NAME=value` lines and the script uses "${NAME}", so
    variables assigned in the script are expanded; a variable it never assigns stays in the result."""
    lines = [line.strip() for line in script.replace("\\\n", " ").splitlines()]
    variables: dict[str, str] = {}
    images: list[str | None] = []
    for line in lines:
        if line.startswith("#"):
            continue
        if assignment := _SHELL_ASSIGNMENT.fullmatch(line):
            variables[assignment.group(1)] = next(_command_words(assignment.group(2)), "")
        elif command := _DOCKER_IMAGE_COMMAND.search(line):
            image = _image_operand(command.group(1))
            images.append(image and _SHELL_VARIABLE.sub(lambda m: variables.get(m[1] or m[2], m[0]), image))
    return images


def launch_template_pins_image_digest(resource: Resource) -> list[str]:
    user_data = resource.props.get("userData")
    if user_data is UNKNOWN or not user_data:
        return []
    fix = "run the image as <repository>@sha256:<64 hex digest> (the digest staging built and promoted)."
    try:
        script = base64.b64decode(str(user_data), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return ["Launch template user_data is not base64-encoded UTF-8 text: encode the boot script with base64."]
    images = boot_script_images(script)
    if not images:
        return [f"Launch template boot script starts no container with `docker run`: {fix}"]
    return [
        f"Launch template boot script runs image {image or '(none named)'!r}, which is not pinned by digest"
        + (" (a variable the script never assigns)" if image and "$" in image else "")
        + f": {fix}"
        for image in dict.fromkeys(images)
        if image is None or not DIGEST_PINNED_IMAGE.fullmatch(image)
    ]


_PACKAGE_INSTALL = re.compile(
    r"^\s*(?:sudo\s+)?(?:(?:dnf|yum|microdnf|apt|apt-get|aptitude|zypper|apk)\s+(?:-\S+\s+)*"
    r"(?:install|reinstall|localinstall|groupinstall|update|upgrade|dist-upgrade|add)\b"
    r"|amazon-linux-extras\s+install\b|rpm\s+-[a-zA-Z]*[iU]|pip3?\s+install\b)",
    re.MULTILINE,
)


_CLOUD_CONFIG_PACKAGES = re.compile(r"^(?:packages|package_update|package_upgrade)\s*:", re.MULTILINE)


def installs_packages(script: str) -> list[str]:
    """The package installs or upgrades in a boot script or cloud-config, one line each; [] when there are none."""
    lines = [line.strip() for line in script.splitlines() if not line.lstrip().startswith("#")]
    found = [line for line in lines if _PACKAGE_INSTALL.match(line)]
    if script.startswith("#cloud-config"):
        found += [line for line in lines if _CLOUD_CONFIG_PACKAGES.match(line)]
    return found


def launch_template_installs_nothing(resource: Resource) -> list[str]:
    user_data = resource.props.get("userData")
    if user_data is UNKNOWN or not user_data:
        return []
    try:
        script = base64.b64decode(str(user_data), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return []  # launch-template-pins-image-digest reports user data that is not base64 text
    return [
        f"Launch template user data installs packages at boot ({line!r}): hosts of one release would run "
        "different software depending on when they booted, and a package mirror outage would block every release "
        "and scale-out. Use a host image that carries what the boot script needs (the Amazon ECS-optimized Amazon "
        "Linux 2023 AMI has docker and the AWS CLI; `fleetctl host-image` pins it) or bake your own."
        for line in installs_packages(script)
    ]


def secret_setting_is_secure_string(resource: Resource) -> list[str]:
    parameter_type = resource.props.get("type")
    if tags_of(resource).get(SECRET_TAG) != "true" or parameter_type in ("SecureString", UNKNOWN):
        return []
    return [
        f"SSM parameter {resource.props.get('name')!r} holds a secret setting as type {parameter_type!r}: store it "
        'as type="SecureString", so that it is encrypted in SSM and only readers allowed to decrypt see it.'
    ]
