"""Sample stack files and stack outputs for the fleetctl tests: what staging and prod hold and deployed."""

from __future__ import annotations

import hashlib
from typing import Any

AMI_OLD = "ami-0a1b2c3d4e5f60718"
AMI_NEW = "ami-0fedcba9876543210"
REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"


def image_ref(service: str, version: str) -> str:
    """The digest-pinned ref staging pushed for a service's version (a deterministic fake digest)."""
    return f"{REGISTRY}/fleet-staging-{service}@sha256:{hashlib.sha256(f'{service}:{version}'.encode()).hexdigest()}"


STAGING = """\
# Staging builds the images it deploys.
config:
  aws:region: eu-west-1
  fleet:services:
    web:
      image:
        version: "1.0.0"
        build: images/web
      hostImage: ami-0a1b2c3d4e5f60718
      instanceType: t3.small
      port: 8080
      capacity:
        min: 2
        desired: 2
        max: 6
    api:
      image:
        version: "2.0.0"
        build: images/api
      hostImage: ami-0a1b2c3d4e5f60718
      publicPort: 8081
"""

PROD = f"""\
# Prod never builds: fleetctl promote writes staging's images here.
config:
  aws:region: eu-west-1
  app:apiToken:
    secure: v1:AAABAHx2c2VjcmV0LWNpcGhlcnRleHQtbm90LWEtcmVhbC1vbmU=
  fleet:promotion:
    from: staging
  fleet:services:
    # The public site.
    web:
      image:
        version: "1.0.0"   # set by fleetctl promote
        ref: {image_ref("web", "1.0.0")}
      hostImage: {AMI_OLD}
      instanceType: t3.small
      capacity: {{min: 2, desired: 3, max: 10}}
      drainSeconds: 60
    api:
      image:
        version: '2.0.0'
        ref: {image_ref("api", "2.0.0")}
      hostImage: {AMI_OLD}
      publicPort: 8081
"""

BOOT_SCRIPT = 'set -euo pipefail\ndocker run --rm "${FLEET_IMAGE_REF}"\n'


def release(service: str, version: str, host_image: str = AMI_OLD) -> dict[str, Any]:
    """A release entry as the program outputs it (in `release` and `history`)."""
    release_id = hashlib.sha256(f"{service}:{version}:{host_image}".encode()).hexdigest()[:12]
    return {
        "releaseId": release_id,
        "version": version,
        "imageRef": image_ref(service, version),
        "hostImage": host_image,
        "instanceType": "t3.small",
    }


def outputs(stack: str, services: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Stack outputs whose services have these histories (newest first; the first is live)."""
    return {
        "stack": stack,
        "services": {
            name: {"imageDigest": None, "release": dict(history[0]), "history": history}
            for name, history in services.items()
        },
    }
