"""`fleetctl host-image STACK`: pin the current recommended host image in a stack file, as a reviewable change.

Hosts install nothing at boot, so the host image must carry docker and the AWS CLI: the Amazon ECS-optimized Amazon
Linux 2023 AMI does. AWS publishes its current id per region and architecture as public SSM parameters
(docs.aws.amazon.com/AmazonECS/latest/developerguide/retrieve-ecs-optimized_AMI.html). This command reads them in
the stack's region and writes `hostImage` into the stack file, keeping every other byte: a host OS update is a
pull request, and deploying it is a release of each service whose host image changed.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from ruamel.yaml import YAML

from fleet.config import AMI_ID, fleet_keys, parse_config
from fleet.config_types import ConfigError
from fleet.names import PROMOTION_KEY
from fleet.platforms import platform_for
from fleetctl.cli import project_dir
from fleetctl.errors import CommandError, aws_problem
from fleetctl.pinning import SERVICES_KEY, SERVICES_PATH, PinTarget, add_stack_file_arguments

RECOMMENDED_IMAGE = {
    "x86_64": "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id",
    "arm64": "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id",
}
ARCHITECTURE_OF_PLATFORM = {"linux/amd64": "x86_64", "linux/arm64": "arm64"}


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "host-image",
        help="pin the current recommended host image (ECS-optimized Amazon Linux 2023) in a stack file",
        description="Look up the current Amazon ECS-optimized Amazon Linux 2023 AMI in the stack's region (AWS's "
        "public SSM parameters) and write it as hostImage of each service in Pulumi.<stack>.yaml.",
    )
    parser.add_argument("stack", help="the stack whose file is written, such as staging")
    parser.add_argument(
        "--arch",
        choices=sorted(RECOMMENDED_IMAGE),
        help="the host architecture (default: the one each service's instanceType needs; another is refused, "
        "as EC2 cannot launch it)",
    )
    parser.add_argument("--service", metavar="NAME", help="pin only this service (default: every service)")
    add_stack_file_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    target = PinTarget(project_dir(args), args.stack)
    services = _services(target, args.service)
    architectures = {name: _architecture(name, instance_type, args.arch) for name, instance_type in services.items()}
    region = _region(target)
    images = _recommended_images(region, set(architectures.values()))
    if target.file.get(("config", PROMOTION_KEY)) is not None:
        print(
            f"warning: stack {args.stack} is promoted: `fleetctl promote` writes the host image its source ran, "
            "so pin host images on the source stack unless this is an emergency",
            file=sys.stderr,
        )
    print(f"{target.path.name} ← recommended ECS-optimized Amazon Linux 2023 images in {region}")
    for name, architecture in architectures.items():
        path = (*SERVICES_PATH, name, "hostImage")
        current, new = target.file.get(path), images[architecture]
        if current == new:
            print(f"  {name}: host image unchanged ({new}, {architecture})")
            continue
        target.file.set(path, new)
        target.changed = True
        print(f"  {name}: host image {current} → {new} ({architecture}): a release")
    target.save(dry_run=args.dry_run)
    return 0


def _services(target: PinTarget, only: str | None) -> dict[str, str]:
    """Service name → instance type (defaults applied) of the services to pin; the stack file must be valid."""
    document = YAML(typ="safe").load(target.path.read_text())
    try:
        config = parse_config(fleet_keys(document["config"]), target.stack, project_root=target.project_dir)
    except ConfigError as error:
        raise CommandError(f"{target.path} is not a valid stack config: {'; '.join(error.problems)}") from error
    instance_types = {service.name: service.instance_type for service in config.services}
    if only is None:
        return instance_types
    if only not in instance_types:
        raise CommandError(
            f"{target.path.name} has no service {only} under {SERVICES_KEY}; it has: {', '.join(instance_types)}"
        )
    return {only: instance_types[only]}


def _architecture(service: str, instance_type: str, requested: str | None) -> str:
    needed = ARCHITECTURE_OF_PLATFORM[platform_for(instance_type)]
    if requested is not None and requested != needed:
        raise CommandError(
            f"service {service} runs {instance_type}, which needs an {needed} host image, not {requested}: "
            "change its instanceType first, or leave out --arch"
        )
    return needed


def _region(target: PinTarget) -> str:
    """The stack's region (`aws:region`): AMI ids are regional, so the image must come from there."""
    import boto3  # here, not at the top: the CLI imports every command's module to build its parser

    region = target.file.get(("config", "aws:region")) or boto3.Session().region_name
    if not isinstance(region, str) or not region:
        raise CommandError(f"{target.path.name} has no aws:region and no AWS region is configured")
    return region


def _recommended_images(region: str, architectures: set[str]) -> dict[str, str]:
    import boto3  # here, not at the top: the CLI imports every command's module to build its parser

    names = {RECOMMENDED_IMAGE[architecture]: architecture for architecture in sorted(architectures)}
    try:
        response = boto3.client("ssm", region_name=region).get_parameters(Names=list(names))
    except (BotoCoreError, ClientError) as error:
        raise CommandError(
            f"cannot read AWS's public host image parameters in {region}: {aws_problem(error)}"
        ) from error
    if response.get("InvalidParameters"):
        raise CommandError(f"{region} publishes no {', '.join(response['InvalidParameters'])}")
    images = {names[parameter["Name"]]: parameter["Value"] for parameter in response["Parameters"]}
    for architecture, image in images.items():
        if not AMI_ID.match(image):
            raise CommandError(f"{RECOMMENDED_IMAGE[architecture]} in {region} is {image!r}, not an AMI id")
    return images
