"""A service's settings as SSM parameters under `/fleet/<stack>/<service>/`: what its hosts read once, at boot.

Each setting is one parameter owned by the stack: removing a key from the stack file deletes its parameter (at
the end of the update, once the new release is healthy). A secret is a `SecureString` whose value is a Pulumi
secret, so it is encrypted in the state too (pulumi-aws marks every parameter value secret; this does not rely
on it). Hosts read the parameters at the versions their release pins
(`name:version`), so an instance the old release starts after an update (scaling, a replaced unhealthy host)
boots with that release's settings, not the new ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from fleet.config_types import Setting
from fleet.names import SECRET_TAG


@dataclass
class SettingsArgs:
    path: str
    """`/fleet/<stack>/<service>/`: the host role may read only below it."""
    settings: tuple[Setting, ...]
    """Plain values as given; secrets with their decrypted value (never shown, never in a tag or output)."""
    tags: dict[str, str]


class Settings(pulumi.ComponentResource):
    pinned: pulumi.Output[str]
    """`NAME:version` of each parameter, space-separated: what a host of this release reads."""

    def __init__(self, name: str, args: SettingsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fleet:settings:Settings", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        versions = []
        for setting in args.settings:
            if setting.value is None:
                raise ValueError(f"setting {setting.name} has no value: the program needs it decrypted")
            parameter = aws.ssm.Parameter(
                f"{name}-{setting.name}",
                # A fixed name is safe here: only `name` forces a replacement, and a new name is a new key.
                name=f"{args.path}{setting.name}",
                type="SecureString" if setting.secret else "String",
                value=pulumi.Output.secret(setting.value) if setting.secret else setting.value,
                tier="Standard",
                description="fleet setting (secret)" if setting.secret else "fleet setting",
                tags={**args.tags, SECRET_TAG: "true"} if setting.secret else args.tags,
                opts=child,
            )
            versions.append(pulumi.Output.concat(setting.name, ":", parameter.version.apply(str)))

        self.pinned = pulumi.Output.all(*versions).apply(" ".join)
        self.register_outputs({"pinned": self.pinned})
