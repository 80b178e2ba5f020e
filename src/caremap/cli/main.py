"""The `caremap` command: discovers ``cmd_*`` modules and runs them with friendly errors."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import traceback

import typer

from caremap.cli.common import err_console
from caremap.core.errors import CaremapError

app = typer.Typer(
    name="caremap",
    help="Commissioning intelligence for health and care systems.\n\n"
    "Start with `caremap demo`, which builds a synthetic region and runs every step.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


# Help lists commands in pipeline order; a new module not named here comes after these.
ORDER = [
    "cmd_demo",
    "cmd_synth",
    "cmd_ingest",
    "cmd_link",
    "cmd_needs",
    "cmd_risk",
    "cmd_network",
    "cmd_standards",
    "cmd_budget",
    "cmd_performance",
    "cmd_waiting",
    "cmd_app",
]


def _load_commands() -> None:
    import caremap.cli as pkg

    def rank(m) -> tuple[int, str]:
        return (ORDER.index(m.name) if m.name in ORDER else len(ORDER), m.name)

    for mod in sorted(pkgutil.iter_modules(pkg.__path__), key=rank):
        if mod.name.startswith("cmd_"):
            importlib.import_module(f"{pkg.__name__}.{mod.name}").register(app)


_load_commands()


def main(argv: list[str] | None = None) -> int:
    """Entry point: user errors print one clear line; bugs print a traceback and ask for a report."""
    try:
        app(args=argv, standalone_mode=False)
    except CaremapError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        return 2
    except KeyboardInterrupt:
        err_console.print("interrupted; the workspace is unchanged by the step that was running")
        return 130
    except SystemExit as exc:
        return int(exc.code or 0)
    except Exception as exc:  # the click usage errors come through here too
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            return exc.exit_code
        if isinstance(exc, click.exceptions.Abort):
            return 1
        traceback.print_exc()
        err_console.print(
            "[bold red]internal error[/]: this is a bug in caremap; please report it "
            "with the traceback above (it contains no patient data)."
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
