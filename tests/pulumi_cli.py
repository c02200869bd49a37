"""The Pulumi CLI commands and flags the docs use, as the CLI defines them (a Pulumi CLI is not installed here).

Read in pulumi/pulumi at commit 1b5949891b3cefcb9974752b24a5ecef0acc86c8 (2026-08-21), `pkg/cmd/pulumi/`: each
command's cobra `Use`/`Aliases` and its flags (`--stack`/`-s` is a flag of each command listed with it). A command
or flag the docs start using must be looked up there and added here, with the file it is defined in.
"""

from __future__ import annotations

COMMANDS: dict[tuple[str, ...], frozenset[str]] = {
    ("login",): frozenset(),  # auth/login.go
    ("stack",): frozenset({"--stack", "--show-urns"}),  # stack/stack.go
    ("stack", "init"): frozenset({"--secrets-provider"}),  # stack/stack_new.go: `new`, alias `init`
    ("stack", "rm"): frozenset({"--stack", "--force"}),  # stack/stack_remove.go: `remove`, alias `rm`
    ("stack", "output"): frozenset({"--stack", "--json"}),  # stack/stack_output.go
    ("config", "set"): frozenset({"--stack", "--path", "--secret"}),  # config/config.go (--stack persistent)
    ("config", "rm"): frozenset({"--stack", "--path"}),  # config/config.go: `remove`, alias `rm`
    ("up",): frozenset({"--stack", "--policy-pack", "--diff", "--yes"}),  # operations/up.go
    ("preview",): frozenset({"--stack", "--policy-pack", "--diff"}),  # operations/preview.go
    ("destroy",): frozenset({"--stack"}),  # operations/destroy.go
}
