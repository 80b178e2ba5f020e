"""`caremap schema`: the JSON Schema of a step's config, for editors and saved scenarios."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from caremap.cli.common import command, console
from caremap.core.errors import InputError
from caremap.core.manifest import STEP_BY_NAME, resolve


@command(
    epilog="Examples:\n\n  caremap schema network\n\n  caremap schema budget --out budget.schema.json"
)
def schema(
    step: Annotated[str, typer.Argument(help="A step: " + ", ".join(STEP_BY_NAME) + ".")],
    out: Annotated[Path | None, typer.Option(help="Write the schema to this file.")] = None,
) -> None:
    """Print the JSON Schema of a step's config (the settings its --config file takes)."""
    from caremap.core.config import config_schema

    if step not in STEP_BY_NAME:
        raise InputError(f"no step {step!r}; steps are: {', '.join(STEP_BY_NAME)}", field="step")
    text = json.dumps(config_schema(resolve(STEP_BY_NAME[step].config)), indent=2, default=str)
    if out is None:
        typer.echo(text)
        return
    out.write_text(text + "\n")
    console.print(f"schema of {STEP_BY_NAME[step].config} written to {out}")
