"""The container image a service runs: built and pushed here (staging), or a promoted reference (prod)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_docker as docker

from fleet.build_tag import build_tag
from fleet.config_types import ImageSource
from fleet.names import CANARY_TRACK, repository_name
from fleet.platforms import platform_for
from fleet.retention import lifecycle_policy

BUILD_INPUTS = ("imageName", "build")
"""What of a pulumi-docker `Image` makes a build and a push when it changes: the tag and the build's inputs."""


@dataclass
class ServiceImageArgs:
    stack: str
    service: str
    source: ImageSource
    instance_type: str
    """Decides the platform the image is built for."""
    project_root: Path
    tags: dict[str, str]
    keep_images: bool = False
    """A promoted stack runs images of this repository: deleting it must fail while it holds any (a `pulumi
    destroy` included). Otherwise the repository is deleted with its images when the service is removed."""
    replica: bool = False
    """The ref names the copy ECR replicated into this stack's own registry: ECR created that repository, with no
    lifecycle policy (the source's is not replicated), so this stack gives it the building stack's policy, whose
    `keep-` rule `fleetctl retain` relies on."""
    keeps_build: bool = False
    """The live release runs an image an earlier update built (a routine deploy, a switch back to the warm release,
    a canary finish, a rollback to a release of the history; its hosts boot from the `imageRef` the outputs record):
    the image keeps the inputs of the build in the state, so nothing is built, and no tag pushed again into the
    repository, whose tags are immutable (the config asks for that earlier build, whose tag ECR already holds)."""


class ServiceImage(pulumi.ComponentResource):
    image_ref: pulumi.Output[str]
    """`<repository>@sha256:<digest>`: hosts pull by digest, never by a tag that can move."""
    built_digest: pulumi.Output[str | None]
    """The digest this stack built, or None where it only runs a promoted reference."""
    repository_arn: pulumi.Output[str]
    _repository: aws.ecr.Repository
    _project_root: Path

    def __init__(self, name: str, args: ServiceImageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fleet:service_image:ServiceImage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        if args.source.ref is not None:
            self.image_ref = pulumi.Output.from_input(args.source.ref)
            self.built_digest = pulumi.Output.from_input(None)
            self.repository_arn = pulumi.Output.from_input(_repository_arn(args.source))
            if args.replica:
                match = args.source.ref_match
                assert match is not None, "config guarantees a promoted reference is an ECR reference"
                _lifecycle(f"{name}-lifecycle", match["repository"], child)
        else:
            assert args.source.build is not None, "config guarantees exactly one of build and ref"
            repository = aws.ecr.Repository(
                f"{name}-repository",
                name=repository_name(args.stack, args.service),
                image_tag_mutability="IMMUTABLE",
                image_scanning_configuration={"scan_on_push": True},
                encryption_configurations=[{"encryption_type": "AES256"}],
                # Read from the state when the repository is deleted, so it must be set before the service is
                # removed; changing it is an in-place update (no ForceNew: internal/service/ecr/repository.go).
                force_delete=not args.keep_images,
                tags=args.tags,
                opts=child,
            )
            _lifecycle(f"{name}-lifecycle", repository.name, child)
            self._repository = repository
            self._project_root = args.project_root
            kept = pulumi.ResourceOptions(parent=self, ignore_changes=list(BUILD_INPUTS)) if args.keeps_build else child
            image = self._push(f"{name}-image", args.source, args.instance_type, kept)
            self.image_ref = image.repo_digest
            self.built_digest = image.repo_digest.apply(lambda ref: ref.split("@", 1)[1])
            self.repository_arn = repository.arn

        self.register_outputs({"imageRef": self.image_ref, "builtDigest": self.built_digest})

    def another(
        self, name: str, source: ImageSource, instance_type: str, opts: pulumi.ResourceOptions
    ) -> pulumi.Output[str]:
        """A second image of the service (its canary's), from the same repository: built and pushed there where the
        service's is, or its digest-pinned reference (config checks it is of the service's kind and repository)."""
        if source.ref is not None:
            return pulumi.Output.from_input(source.ref)
        return self._push(name, source, instance_type, opts, track=CANARY_TRACK).repo_digest

    def _push(
        self,
        name: str,
        source: ImageSource,
        instance_type: str,
        opts: pulumi.ResourceOptions,
        track: str | None = None,
    ) -> docker.Image:
        """Build `source` for `instance_type`'s platform and push it to the service's repository, tagged
        `<version>-<build fingerprint>` (`fleet.build_tag.build_tag`)."""
        assert source.build is not None, "config guarantees a built image has a build context"
        repository = self._repository
        token = aws.ecr.get_authorization_token_output(registry_id=repository.registry_id)
        platform = platform_for(instance_type)
        tag = build_tag(source.version, self._project_root / source.build, platform, track=track)
        return docker.Image(
            name,
            image_name=pulumi.Output.concat(repository.repository_url, ":", tag),
            build={
                # Relative to the project: the engine starts provider plugins in the project directory
                # (pulumi/pulumi pkg/engine/deployment.go `ProjectInfoContext` -> `getPwdMain`, then
                # pkg/resource/plugin/plugin.go `cmd.Dir = pwd`), and pulumi-docker keeps `context` as given
                # (provider/image.go `marshalBuildAndApplyDefaults`). An absolute path would differ between
                # checkouts, and any difference rebuilds (see fleet/build_tag.py).
                "context": source.build,
                "platform": platform,
                "args": {"APP_VERSION": source.version},
            },
            registry={
                "server": repository.repository_url,
                "username": token.user_name,
                "password": pulumi.Output.secret(token.password),
            },
            opts=opts,
        )


def _lifecycle(name: str, repository: pulumi.Input[str], opts: pulumi.ResourceOptions) -> None:
    """The lifecycle policy of a repository whose images a stack runs: `fleet.retention.lifecycle_policy`."""
    aws.ecr.LifecyclePolicy(name, repository=repository, policy=json.dumps(lifecycle_policy()), opts=opts)


def _repository_arn(source: ImageSource) -> str:
    """The ECR repository a digest-pinned reference lives in: the only one the hosts may pull from."""
    match = source.ref_match
    assert match is not None, "config guarantees a promoted reference is an ECR reference pinned by digest"
    return f"arn:aws:ecr:{match['region']}:{match['account']}:repository/{match['repository']}"
