# fleet host boot script (Amazon Linux 2023). The program prepends the release's values as readonly variables:
# FLEET_STACK FLEET_SERVICE FLEET_RELEASE FLEET_VERSION FLEET_IMAGE_REF FLEET_PORT FLEET_REGION FLEET_LOG_GROUP
# FLEET_SETTINGS_PATH. The host is never changed after this runs: a new release is a new host.
set -euo pipefail

dnf install -y docker
systemctl enable --now docker

imds_token=$(curl -sf -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')
instance_id=$(curl -sf -H "X-aws-ec2-metadata-token: ${imds_token}" http://169.254.169.254/latest/meta-data/instance-id)

# Pull by digest: the host runs exactly the artifact the release names, never a tag that can move.
registry="${FLEET_IMAGE_REF%%/*}"
aws ecr get-login-password --region "${FLEET_REGION}" | docker login --username AWS --password-stdin "${registry}"
for attempt in 1 2 3 4 5; do
  docker pull "${FLEET_IMAGE_REF}" && break
  [ "${attempt}" -lt 5 ] || exit 1
  sleep $((attempt * 5))
done

# Runtime settings live in SSM Parameter Store under the service's path, read once at boot.
install -d -m 0700 /run/fleet
aws ssm get-parameters-by-path --region "${FLEET_REGION}" --path "${FLEET_SETTINGS_PATH}" --recursive \
  --with-decryption --query 'Parameters[*].[Name,Value]' --output text |
  while IFS=$'\t' read -r name value; do
    [ -n "${name}" ] && printf '%s=%s\n' "${name##*/}" "${value}"
  done >/run/fleet/settings.env
chmod 0600 /run/fleet/settings.env

# Logs leave the box: container stdout and stderr go to CloudWatch Logs, one stream per instance.
docker run --detach --name "${FLEET_SERVICE}" --restart always \
  --log-driver awslogs \
  --log-opt awslogs-region="${FLEET_REGION}" \
  --log-opt awslogs-group="${FLEET_LOG_GROUP}" \
  --log-opt awslogs-stream="${instance_id}" \
  --env-file /run/fleet/settings.env \
  --env PORT="${FLEET_PORT}" \
  --env APP_VERSION="${FLEET_VERSION}" \
  --env FLEET_STACK="${FLEET_STACK}" \
  --env FLEET_SERVICE="${FLEET_SERVICE}" \
  --env FLEET_RELEASE="${FLEET_RELEASE}" \
  --publish "${FLEET_PORT}:${FLEET_PORT}" \
  "${FLEET_IMAGE_REF}"
