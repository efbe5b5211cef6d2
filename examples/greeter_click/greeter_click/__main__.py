"""The greeter-click command line: ``python -m greeter_click NAME... [--shout] [--version]``.

``NAME`` may be ``-`` to read names from standard input, one per line. Exit status: 0 on
success, 2 on a usage error (click's), an empty name included.
"""

from __future__ import annotations

import sys

import click

from greeter_click import __version__, default_greeting, greet

#: The program's name in messages, whichever way it is started (``python -m``, a script, a
#: zipapp): click would otherwise derive it from ``sys.argv[0]``, which differs between them.
PROG = "greeter-click"


@click.command(help="Greet people by name. The greeting comes from $GREETER_GREETING.")
@click.argument("names", nargs=-1, required=True)
@click.option("--shout", is_flag=True, help="Greet in capital letters.")
@click.version_option(__version__, prog_name=PROG)
def cli(names: tuple[str, ...], shout: bool) -> None:
    if names == ("-",):
        names = tuple(line for line in sys.stdin if line.strip())
    greeting = default_greeting()
    for name in names:
        if not name.strip():
            raise click.BadParameter("must not be empty", param_hint="NAME")
        click.echo(greet(name, greeting=greeting, shout=shout))


def main() -> None:
    """Run the command line; click ends the process with its exit status."""
    cli(prog_name=PROG)


if __name__ == "__main__":
    main()
