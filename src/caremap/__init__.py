"""caremap: commissioning intelligence for health and care systems.

The public API is small: open a workspace, then run pipeline steps from the capability
subpackages (`caremap.link`, `caremap.needs`, ...). Optional engines load lazily.
"""

from caremap.core.errors import CaremapError
from caremap.core.workspace import Workspace, open_workspace

__version__ = "0.1.0"
__all__ = ["CaremapError", "Workspace", "__version__", "open_workspace"]
