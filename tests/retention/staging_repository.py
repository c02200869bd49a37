"""Staging's ECR repository as the retention tests create it in moto: the one prod pulls from."""

REGION = "eu-west-1"
REPOSITORY = "fleet-staging-web"
MANIFEST_MEDIA_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
