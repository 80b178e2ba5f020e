"""The `caremap` command: built from the capability manifest, with errors a user can act on.

Every command is a module-level function in ``cmd_<name>.py``; `build_app` adds them in the
order of `caremap.core.manifest.COMMANDS`. `main` runs the CLI: a usage mistake (no or
unknown command, unknown or bad option) prints one line saying what is wrong and how to see
the help (exit 2); a `CaremapError` prints its message (exit 2); anything else is a bug and
prints a traceback and asks for a report (exit 1).
"""

from __future__ import annotations

import sys
import traceback

import typer

from caremap.cli.common import err_console
from caremap.core.errors import CaremapError
from caremap.core.manifest import COMMANDS, GROUPS, resolve

PROG = "caremap"


def build_app() -> typer.Typer:
    """The CLI: one command per entry of `COMMANDS`, groups (``risk``, ``user``) from `GROUPS`."""
    app = typer.Typer(
        name=PROG,
        help="Commissioning intelligence for health and care systems.\n\n"
        "Start with `caremap demo`, which builds a synthetic region and runs every step.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    groups = {name: typer.Typer(help=text, no_args_is_help=True) for name, text in GROUPS.items()}
    for cmd in COMMANDS:
        fn = resolve(cmd.target)
        parent = groups[cmd.group] if cmd.group else app
        parent.command(cmd.name, epilog=getattr(fn, "__cli_epilog__", None) or None)(fn)
    for name, group in groups.items():
        app.add_typer(group, name=name)
    return app


app = build_app()


def _command_path(argv: list[str]) -> str:
    """``caremap [group] command`` as far as ``argv`` names a known one."""
    words = [a for a in argv if not a.startswith("-")][:2]
    if words and words[0] in GROUPS:
        names = {c.name for c in COMMANDS if c.group == words[0]}
        return " ".join([PROG, *words[: 2 if words[1:] and words[1] in names else 1]])
    if words and words[0] in {c.name for c in COMMANDS if c.group is None}:
        return f"{PROG} {words[0]}"
    return PROG


def usage_line(exc: BaseException, argv: list[str] | None = None) -> str | None:
    """The one line to print for a usage mistake, or None when ``exc`` is not one."""
    if getattr(exc, "exit_code", None) != 2 or not hasattr(exc, "format_message"):
        return None
    ctx = getattr(exc, "ctx", None)
    path = ctx.command_path if ctx is not None else _command_path(argv or sys.argv[1:])
    if type(exc).__name__ == "NoArgsIsHelpError":
        what = "no command given" if path == PROG else f"`{path}` needs a command"
    else:
        what = " ".join(str(exc.format_message()).replace("Value error, ", "").split())
    return f"error: {what} (see `{path} --help`)"


def main(argv: list[str] | None = None) -> int:
    """Entry point: user errors print one clear line; bugs print a traceback and ask for a report."""
    try:
        app(args=argv, prog_name=PROG, standalone_mode=False)
    except CaremapError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        return 2
    except KeyboardInterrupt:
        err_console.print("interrupted; the workspace is unchanged by the step that was running")
        return 130
    except SystemExit as exc:
        return int(exc.code or 0)
    except (typer.Exit, typer.Abort) as exc:
        return int(getattr(exc, "exit_code", 1))
    except Exception as exc:
        line = usage_line(exc, argv)
        if line is not None:
            err_console.print(line, highlight=False, markup=False, soft_wrap=True)
            return 2
        if hasattr(exc, "format_message"):  # another error the CLI library reports (a file)
            err_console.print(f"error: {exc.format_message()}", markup=False, soft_wrap=True)
            return int(getattr(exc, "exit_code", 1))
        traceback.print_exc()
        err_console.print(
            "[bold red]internal error[/]: this is a bug in caremap; please report it "
            "with the traceback above (it contains no patient data)."
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
