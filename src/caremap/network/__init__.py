"""Service network design: which sites become centres, and what that does to access.

Step: `run_network(ws, NetworkConfig) -> NetworkResult` (``network/step.py``; config in
``network/config.py``; `caremap network`).

Reads ``small_area``, ``population``, ``site``, ``road_node``/``road_link`` (travel times)
and, where present, ``trauma_incident``. Writes ``network_scenario``, ``network_policy``,
``network_site_volume``, ``network_access``, ``network_map_site`` and ``network_map_area``.
The location-allocation models (`caremap.network.locate`, `caremap locate`) run on any
demand, sites and travel-time files.
"""

from caremap.network.config import NetworkConfig
from caremap.network.step import NetworkResult, run_network

__all__ = ["NetworkConfig", "NetworkResult", "run_network"]
