"""caremap.link: one record per person across source systems (`caremap link`).

Step: `run_link(ws, LinkConfig) -> LinkResult` (``link/step.py``; config in
``link/config.py``; one linkage run over prepared records in ``link/linkage.py``).

Reads ``source_record`` (and ``postcode`` for area codes). Writes ``link_input``,
``person_link``, ``person``, ``link_model``, ``link_quality``, ``link_cluster_sizes`` and
``link_unlinked``; `evaluate_against_truth` writes ``link_evaluation`` on a synthetic
economy. `link_files` links CSV/Parquet files outside a workspace (`FileLinkConfig`).
See docs/link.md.
"""

from caremap.link.config import FileLinkConfig, LinkConfig
from caremap.link.evaluate import Evaluation, evaluate_against_truth, evaluate_assignment
from caremap.link.files import link_files
from caremap.link.step import LinkResult, run_link

__all__ = [
    "Evaluation",
    "FileLinkConfig",
    "LinkConfig",
    "LinkResult",
    "evaluate_against_truth",
    "evaluate_assignment",
    "link_files",
    "run_link",
]
