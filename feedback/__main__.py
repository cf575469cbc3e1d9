"""`python -m feedback` is the `feedback` command."""

from feedback.cli import main

main()
