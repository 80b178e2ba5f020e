"""caremap.link: one record per person across source systems.

Public API: `link_workspace` (the `caremap link` step), `link_files` (standalone linkage of
CSV/Parquet files), `evaluate_against_truth` (accuracy on the synthetic economy) and their
configs. See docs/link.md.
"""

from caremap.link.config import FileLinkConfig, LinkConfig
from caremap.link.evaluate import Evaluation, evaluate_against_truth, evaluate_assignment
from caremap.link.files import link_files
from caremap.link.step import LinkResult, link_workspace

__all__ = [
    "Evaluation",
    "FileLinkConfig",
    "LinkConfig",
    "LinkResult",
    "evaluate_against_truth",
    "evaluate_assignment",
    "link_files",
    "link_workspace",
]
