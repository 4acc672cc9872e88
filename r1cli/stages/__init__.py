"""One module per stage. Each defines `Config`, `run(cfg) -> dict`, `HELP` and `EXAMPLE`; see r1cli/cli.py."""
