"""Lets `python -m pointscli` run the command-line tool."""

from pointscli.cli import main

main()
