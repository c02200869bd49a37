"""fleetctl's commands, one module each: `add_parser(subparsers)` registers the command and its `handler`."""
