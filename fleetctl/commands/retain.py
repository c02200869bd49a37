"""`fleetctl retain STACK`: keep every image the stack runs or can roll back to from expiring in ECR.

A promoted stack (prod) pulls from its source stack's repository by digest, and that repository's lifecycle policy
expires all but its last images. This command adds the tag `keep-<stack>-<releaseId>` to the image of the stack's
live release, of its canary and of each release in its history (its `services` outputs); the policy's first rule
never expires `keep-` tagged images (fleet/retention.py). A tag is added by putting the image's own manifest again
under the new tag (ECR `BatchGetImage`, then `PutImage` with the same digest): no layer moves, the digest stays the
same, and a tag that is already there is left as it is, so the command can run before and after every deploy.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from fleet.config_types import ECR_DIGEST_REF
from fleet.retention import keep_tag
from fleetctl.errors import CommandError
from fleetctl.pinning import deployed_services, short_ref
from fleetctl.stack_outputs import add_outputs_arguments, read_stack_outputs

MANIFEST_MEDIA_TYPES = [
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
]


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "retain",
        help="keep the images a stack runs or can roll back to from expiring",
        description="Tag, in ECR, the image of each service's live release, canary and release history with "
        "keep-<stack>-<releaseId>, which the repositories' lifecycle policy never expires. Idempotent.",
    )
    parser.add_argument("stack", help="the stack whose images to keep, such as prod")
    parser.add_argument(
        "--missing-ok",
        action="store_true",
        help="exit 0 even when the live release's image no longer exists (before a deploy that may replace it)",
    )
    add_outputs_arguments(parser)
    parser.set_defaults(handler=run)


@dataclass(frozen=True)
class KeptImage:
    """One image to keep, and why: the release of `service` that ran it."""

    service: str
    version: str
    release_id: str
    image_ref: str
    live: bool
    """The image the stack's hosts run now (else one in its rollback history)."""

    @property
    def where(self) -> Mapping[str, str]:
        match = ECR_DIGEST_REF.match(self.image_ref)
        assert match is not None, "images_to_keep keeps only ECR references pinned by digest"
        return match.groupdict()


def run(args: argparse.Namespace) -> int:
    """Exit 1 when the image the stack runs is gone (its hosts cannot be replaced); a gone history image only warns."""
    images = list(images_to_keep(read_stack_outputs(args.stack, args.from_outputs), args.stack))
    missing = [image for image in images if not retain(image, keep_tag(args.stack, image.release_id))]
    for image in missing:
        consequence = (
            "its hosts cannot be replaced or scaled out: promote a release whose image exists"
            if image.live
            else "`fleetctl rollback` to it would fail"
        )
        print(f"warning: {args.stack} {image.service} {image.version} ({image.release_id}): image gone, {consequence}")
    return 1 if any(image.live for image in missing) and not args.missing_ok else 0


def images_to_keep(outputs: Mapping[str, Any], stack: str) -> Iterator[KeptImage]:
    """The image of each service's live release and canary, and of every release in its history."""
    for service, deployed in deployed_services(outputs, stack).items():
        running = [("release", deployed.release), *([("canary", deployed.canary)] if deployed.canary else [])]
        history = [(f"history[{index}]", entry) for index, entry in enumerate(deployed.history)]
        kept: set[str] = set()
        for key, entry in [*running, *history]:
            where = f"{stack} outputs services.{service}.{key}"
            if entry is None or not entry.release_id:
                raise CommandError(f"{where} has no releaseId")
            if entry.release_id in kept:
                continue  # the history starts with the live release
            kept.add(entry.release_id)
            ref = entry.image_ref or ""
            if ECR_DIGEST_REF.match(ref) is None:
                raise CommandError(f"{where}.imageRef is not an ECR reference pinned by digest: {ref!r}")
            yield KeptImage(service, str(entry.version), entry.release_id, ref, live=(key, entry) in running)


def retain(image: KeptImage, tag: str) -> bool:
    """Tag `image` with `tag` unless it has it; False when the image no longer exists."""
    import boto3  # here, not at the top: the CLI imports every command's module to build its parser

    where = image.where
    ecr = boto3.client("ecr", region_name=where["region"])
    key = {"registryId": where["account"], "repositoryName": where["repository"]}
    label = f"{image.service} {image.version} ({short_ref(image.image_ref)})"
    try:
        found = ecr.batch_get_image(
            **key, imageIds=[{"imageDigest": where["digest"]}], acceptedMediaTypes=MANIFEST_MEDIA_TYPES
        )
    except ClientError as error:
        raise CommandError(f"cannot read {label}: {error.response['Error']['Message']}") from error
    if not found["images"]:
        print(f"MISSING  {label}: not in repository {where['repository']} (expired or deleted)")
        return False
    manifest = found["images"][0]
    if tag in _tags(ecr, key, where["digest"]):
        print(f"kept     {label} as {tag}")
        return True
    try:
        ecr.put_image(
            **key,
            imageManifest=manifest["imageManifest"],
            imageManifestMediaType=manifest["imageManifestMediaType"],
            imageTag=tag,
            imageDigest=where["digest"],
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ImageAlreadyExistsException":
            raise CommandError(f"cannot tag {label} as {tag}: {error.response['Error']['Message']}") from error
    print(f"tagged   {label} as {tag}")
    return True


def _tags(ecr: Any, key: Mapping[str, str], digest: str) -> set[str]:
    described = ecr.describe_images(**key, imageIds=[{"imageDigest": digest}])
    return {tag for detail in described["imageDetails"] for tag in detail.get("imageTags", [])}
