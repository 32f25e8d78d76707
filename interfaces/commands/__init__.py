"""Subcommands of the ``symbiosis`` CLI; each module registers its commands with argparse.

Modules here import only argparse at load time, so ``symbiosis --help`` stays fast; the work
(and the heavy imports) happen inside each command's function.
"""
