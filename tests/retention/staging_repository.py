"""Staging's ECR repository as the retention tests create it in moto: the one prod pulls from."""

from __future__ import annotations

import hashlib
import json
from typing import Any

REGION = "eu-west-1"
REPOSITORY = "fleet-staging-web"
MANIFEST_MEDIA_TYPE = "application/vnd.docker.distribution.manifest.v2+json"


def push_image(ecr: Any, tag: str, region: str = REGION) -> str:
    """Push a distinct image tagged `tag` to the repository of `ecr`'s registry, as a build (or replication into a
    consumer's registry in `region`) would; its digest reference."""
    layer = "sha256:" + hashlib.sha256(tag.encode()).hexdigest()
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1, "digest": layer},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 1, "digest": layer}],
    }
    image = ecr.put_image(
        repositoryName=REPOSITORY,
        imageManifest=json.dumps(manifest),
        imageManifestMediaType=MANIFEST_MEDIA_TYPE,
        imageTag=tag,
    )["image"]
    return f"{image['registryId']}.dkr.ecr.{region}.amazonaws.com/{REPOSITORY}@{image['imageId']['imageDigest']}"
