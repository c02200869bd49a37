"""fleetctl: promotion, rollback, release diffs and the live audit of a fleet."""
