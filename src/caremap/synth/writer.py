"""Writing extracts: every table conformed to its canonical columns and Arrow types."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from caremap.core import schema
from caremap.core.extract_reader import ARROW_TYPES

# columns whose values are (nearly) unique: dictionary encoding would only waste time
HIGH_CARDINALITY = {"activity_id", "record_id", "nhs_number", "address", "person_key"}


def arrow_schema(qualified: str) -> pa.Schema:
    """The Arrow schema of a canonical table's columns (never its derived columns)."""
    spec = schema.get(qualified)
    return pa.schema([pa.field(c.name, ARROW_TYPES[c.type]) for c in spec.columns])


def conform(qualified: str, table: pa.Table) -> pa.Table:
    """Select and cast ``table`` to the canonical columns, in order; missing ones are null."""
    target = arrow_schema(qualified)
    extra = set(table.column_names) - set(target.names)
    if extra:
        raise ValueError(f"{qualified}: columns not in the data model: {sorted(extra)}")
    cols = []
    for f in target:
        if f.name in table.column_names:
            col = table.column(f.name)
            if pa.types.is_dictionary(col.type) and col.type.value_type == f.type:
                cols.append(col)  # Parquet stores it as plain strings (dictionary pages)
            else:
                cols.append(col if col.type == f.type else col.cast(f.type))
        else:
            cols.append(pa.nulls(table.num_rows, f.type))
    fields = [pa.field(f.name, c.type) for f, c in zip(target, cols, strict=True)]
    return pa.Table.from_arrays(cols, schema=pa.schema(fields))


def path_for(out_dir: Path, qualified: str, part: str | None = None) -> Path:
    folder = out_dir / "truth" if qualified.startswith("truth.") else out_dir
    name = qualified.split(".", 1)[-1]
    return folder / (f"{name}__{part}.parquet" if part else f"{name}.parquet")


def write(out_dir: Path, qualified: str, table: pa.Table, part: str | None = None) -> Path:
    path = path_for(out_dir, qualified, part)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = conform(qualified, table)
    dictionary = [c for c in table.column_names if c not in HIGH_CARDINALITY]
    # store_schema=False: readers see the Parquet types (string, not dictionary<string>)
    pq.write_table(
        table,
        path,
        compression="snappy",
        use_dictionary=dictionary,
        row_group_size=1 << 20,
        store_schema=False,
    )
    return path
