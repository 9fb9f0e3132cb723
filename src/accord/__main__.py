"""`python -m accord` runs the CLI."""

from accord.cli import main

main()
