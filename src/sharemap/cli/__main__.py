"""`python -m sharemap.cli`: the same as the `sharemap` command."""

from sharemap.cli.app import main

main()
