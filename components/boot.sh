# fleet host boot script. The program prepends the release's values as readonly variables:
# FLEET_STACK FLEET_SERVICE FLEET_RELEASE FLEET_VERSION FLEET_IMAGE_REF FLEET_PORT FLEET_REGION FLEET_LOG_GROUP
# FLEET_SETTINGS_PATH FLEET_SETTINGS (the release's settings as `NAME:version`, space-separated).
#
# It installs nothing: the host image carries docker and the AWS CLI (the Amazon ECS-optimized Amazon Linux 2023
# AMI does; `fleetctl host-image` pins it), so two hosts of one release run the same software whenever they boot,
# and no package mirror stands between a release or a scale-out and its hosts. It logs in to ECR, pulls the image
# by digest, reads the release's settings and runs the container. Any failure stops it with a message on the
# console and in the system log; the instance then never gets healthy and the previous release keeps serving.
# The host is never changed after this runs: a new release is a new host.
set -euo pipefail

# Where settings are written and failures shown; only tests point these elsewhere.
run_dir="${FLEET_RUN_DIR:-/run/fleet}"
console="${FLEET_CONSOLE:-/dev/console}"

fail() {
  local message="fleet boot FAILED (${FLEET_STACK}/${FLEET_SERVICE}, release ${FLEET_RELEASE}): $*"
  echo "${message}" >&2
  { echo "${message}" >"${console}"; } 2>/dev/null || true
  logger -t fleet-boot -p user.err "${message}" 2>/dev/null || true
  exit 1
}
trap 'fail "command at line ${LINENO} of the boot script exited with status $?"' ERR

for tool in docker aws curl; do
  command -v "${tool}" >/dev/null ||
    fail "the host image has no ${tool}; this host image cannot run fleet hosts, which install nothing at boot." \
      "Use an image that carries docker and the AWS CLI, such as the Amazon ECS-optimized Amazon Linux 2023 AMI" \
      "(fleetctl host-image STACK pins the current one)"
done

# The ECS-optimized image also starts the ECS agent, which fleet does not use (and may not call ECS).
systemctl mask --now ecs.service >/dev/null 2>&1 || true
systemctl start docker || fail "the docker service did not start"
for ((attempt = 1; ; attempt++)); do
  docker info >/dev/null 2>&1 && break
  [ "${attempt}" -lt 30 ] || fail "docker is not answering 60 seconds after it started"
  sleep 2
done

imds_token=$(curl -sf -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300') ||
  fail "cannot reach the instance metadata service"
instance_id=$(curl -sf -H "X-aws-ec2-metadata-token: ${imds_token}" http://169.254.169.254/latest/meta-data/instance-id) ||
  fail "cannot read the instance id from the instance metadata service"

# Pull by digest: the host runs exactly the artifact the release names, never a tag that can move.
registry="${FLEET_IMAGE_REF%%/*}"
aws ecr get-login-password --region "${FLEET_REGION}" | docker login --username AWS --password-stdin "${registry}" ||
  fail "cannot log in to ${registry}"
for attempt in 1 2 3 4 5; do
  docker pull "${FLEET_IMAGE_REF}" && break
  [ "${attempt}" -lt 5 ] || fail "cannot pull ${FLEET_IMAGE_REF}"
  sleep $((attempt * 5))
done

# Settings: the parameters under the service's path at the versions this release pins, read once. A host this
# release starts later (scaling, replacing an unhealthy one) reads the same values even if the settings changed.
umask 077
install -d -m 0700 "${run_dir}"
settings_file="${run_dir}/settings.env"
: >"${settings_file}"
read -r -a pinned <<<"${FLEET_SETTINGS}"
for ((first = 0; first < ${#pinned[@]}; first += 10)); do # GetParameters takes at most 10 names
  names=()
  for entry in "${pinned[@]:first:10}"; do
    names+=("${FLEET_SETTINGS_PATH}${entry}")
  done
  aws ssm get-parameters --region "${FLEET_REGION}" --with-decryption --names "${names[@]}" \
    --query 'Parameters[*].[Name,Value]' --output text |
    while IFS=$'\t' read -r name value; do
      key="${name##*/}"
      printf '%s=%s\n' "${key%%:*}" "${value}"
    done >>"${settings_file}" || fail "cannot read the settings under ${FLEET_SETTINGS_PATH}"
done
mapfile -t read_settings <"${settings_file}"
[ "${#read_settings[@]}" -eq "${#pinned[@]}" ] ||
  fail "read ${#read_settings[@]} of the ${#pinned[@]} settings this release pins (${FLEET_SETTINGS})" \
    "under ${FLEET_SETTINGS_PATH}"
unset read_settings

# Logs leave the box: container stdout and stderr go to CloudWatch Logs, one stream per instance.
docker run --detach --name "${FLEET_SERVICE}" --restart always \
  --log-driver awslogs \
  --log-opt awslogs-region="${FLEET_REGION}" \
  --log-opt awslogs-group="${FLEET_LOG_GROUP}" \
  --log-opt awslogs-stream="${instance_id}" \
  --env-file "${settings_file}" \
  --env PORT="${FLEET_PORT}" \
  --env APP_VERSION="${FLEET_VERSION}" \
  --env FLEET_STACK="${FLEET_STACK}" \
  --env FLEET_SERVICE="${FLEET_SERVICE}" \
  --env FLEET_RELEASE="${FLEET_RELEASE}" \
  --publish "${FLEET_PORT}:${FLEET_PORT}" \
  "${FLEET_IMAGE_REF}" >/dev/null || fail "cannot start the container ${FLEET_IMAGE_REF}"
echo "fleet boot: ${FLEET_STACK}/${FLEET_SERVICE} release ${FLEET_RELEASE} running ${FLEET_IMAGE_REF}"
