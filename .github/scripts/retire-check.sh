#!/usr/bin/env bash
# Which commit the retire workflow re-applies to $STACK to retire its overdue warm release: printed as `sha=...`
# into $GITHUB_OUTPUT, empty when there is nothing to retire or it is not safe to now.
#
# - `fleetctl status --json` says whether a warm release of the stack is past its window
#   (`services.<name>.warm.overdue`); its exit code 1 means something needs an operator, not a failure.
# - A Deploy run that has not completed will run `pulumi up` on the stack itself (which retires it); a retire queued
#   behind it would also cancel a deploy waiting in the stack's concurrency group. So: none then.
# - The commit is the one the stack's deploy job ($DEPLOY_JOB) last ran, and only if that job succeeded: the retire
#   re-applies what was deployed and reviewed (prod's program and stack file), never main's newer commits, and
#   never repeats a failed update. The only change is the time: the warm window has closed.
# - Nor when that run's watch job ($WATCH_JOB) failed: its watch rolled the release back (or could not), the program
#   refuses that release until the stack file pins what serves, so re-applying it would only fail.
set -euo pipefail

status=0
report=$(.venv/bin/fleetctl status "$STACK" --json) || status=$?
if [ "$status" -gt 1 ]; then
  exit "$status"
fi
overdue=$(printf '%s' "$report" | .venv/bin/python -c '
import json, sys
services = json.load(sys.stdin)["services"].values()
print("true" if any((service.get("warm") or {}).get("overdue") for service in services) else "false")')

sha=""
runs="repos/${GITHUB_REPOSITORY}/actions/workflows/deploy.yml/runs"
if [ "$overdue" != true ]; then
  echo "$STACK: no warm release past its window"
else
  busy=0
  for state in requested queued pending waiting in_progress; do
    busy=$((busy + $(gh api --method GET "$runs" -f status="$state" -f per_page=1 --jq .total_count)))
  done
  if [ "$busy" -gt 0 ]; then
    echo "$STACK: a warm release is overdue, but a Deploy run is under way: its update retires it"
  else
    conclusion=""
    watched=""
    while read -r run_id head_sha; do
      conclusion=$(gh api "repos/${GITHUB_REPOSITORY}/actions/runs/${run_id}/jobs" \
        --jq '.jobs[] | select(.name == env.DEPLOY_JOB) | .conclusion')
      if [ -n "$conclusion" ] && [ "$conclusion" != skipped ]; then
        watched=$(gh api "repos/${GITHUB_REPOSITORY}/actions/runs/${run_id}/jobs" \
          --jq '.jobs[] | select(.name == env.WATCH_JOB) | .conclusion')
        break
      fi
    done < <(gh api --method GET "$runs" -f branch=main -f event=push -f status=completed -f per_page=20 \
      --jq '.workflow_runs[] | "\(.id) \(.head_sha)"')
    if [ "$conclusion" = success ] && [ "$watched" = failure ]; then
      echo "$STACK: a warm release is overdue, but its last deploy's watch failed (it rolled back, or could not): not retiring; pin what serves with fleetctl rollback"
    elif [ "$conclusion" = success ]; then
      sha=$head_sha
      echo "$STACK: a warm release is overdue: re-applying ${sha}, the commit its last deploy ran"
    else
      echo "$STACK: a warm release is overdue, but its last deploy job did not succeed (${conclusion:-none found}): not retiring"
    fi
  fi
fi
echo "sha=${sha}" >> "$GITHUB_OUTPUT"
