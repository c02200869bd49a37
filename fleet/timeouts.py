"""How long the steps of a deploy may take, derived from the largest values the config allows.

A release creates the new group and waits up to `cutoverTimeoutMinutes` for its hosts to pass the health gate;
at the end of the update the old group is deleted. terraform-provider-aws deletes a group in three phases (sizes
to 0 and wait for its instances to go, DeleteAutoScalingGroup, wait until it is gone), each bounded by the
resource's delete timeout, 10 minutes by default (internal/service/autoscaling/group.go `resourceGroupDelete`,
`drainGroup`, commit eeecacfa18e2). The first phase lasts the target group's deregistration delay
(`drainSeconds`, up to an hour) plus the instances' shutdown, so the default times out on any drain above
about 9 minutes, after the new release is serving: the update fails, and the workflow's follow-up steps are
skipped.

The engine deletes a resource with the custom timeouts stored with it in the state, not the program's current
ones (pulumi/pulumi pkg/resource/deploy/step.go `DeleteStep.Apply`: `Timeout: s.old.CustomTimeouts.Delete`).
A group is deleted with the timeout of the run that last registered it, while its instances drain for the
target group's delay as the deleting run set it, so a timeout from the group's own `drainSeconds` would be
too short for the run that raises `drainSeconds` and releases at once. The delete timeout is therefore
the same for every group: the largest drain plus the instances' shutdown.
"""

from __future__ import annotations

from fleet.names import MAX_CUTOVER_MINUTES, MAX_DRAIN_SECONDS

INSTANCE_SHUTDOWN_MINUTES = 10
"""After the drain: the instances' termination (OS shutdown, EBS detach) and the group's own deletion, which
take minutes; the provider's default delete timeout, kept as the margin for them."""
GROUP_DELETE_MINUTES = -(-MAX_DRAIN_SECONDS // 60) + INSTANCE_SHUTDOWN_MINUTES
"""Each release group's `custom_timeouts` delete: the longest drain, then shutdown."""
LONGEST_UPDATE_MINUTES = MAX_CUTOVER_MINUTES + GROUP_DELETE_MINUTES
"""The longest `pulumi up` of a release: the new group's health gate, then the old group's delete. Services and
their canaries are created in parallel and their old groups deleted in parallel (one wave: no group depends
on another), so this does not grow with the number of services."""
DEPLOY_JOB_MARGIN_MINUTES = 30
"""What a deploy job does besides the release's update: checkout, installing requirements, image builds and
pushes, the follow-up `pulumi up`, `fleetctl retain` and `fleetctl audit`."""
DEPLOY_JOB_MINUTES = LONGEST_UPDATE_MINUTES + DEPLOY_JOB_MARGIN_MINUTES
"""The least `timeout-minutes` of a deploy job: a job killed mid-update leaves a pending operation, a locked
stack and possibly a group no state tracks."""
GITHUB_JOB_LIMIT_MINUTES = 360
"""The longest a job may run on a GitHub-hosted runner (GitHub Actions usage limits)."""
WATCH_JOB_MARGIN_MINUTES = 20
"""What a watch job does besides watching: checkout, installing requirements, the last poll and its switch."""
WATCH_JOB_MINUTES = GITHUB_JOB_LIMIT_MINUTES - 10
"""The `timeout-minutes` of a deploy workflow's watch job (its own job, not the deploy's: a deploy never waits
behind a watch): GitHub's job limit, less a margin for the runner's own start."""
DEPLOY_WATCH_MINUTES = WATCH_JOB_MINUTES - WATCH_JOB_MARGIN_MINUTES
"""How long a watch job's `fleetctl watch --rollback --for` watches the warm window: what its job's timeout leaves
after the job's other steps. A longer `warmRollbackMinutes` is watched this long only: its window's rest stays open,
unwatched."""
