"""sharemap: how local law enforcement and ICE coordinate identity checks, and what is shared.

This module is the public Python API; it re-exports and defines nothing else.
"""

from sharemap.errors import DataError, InputError, NotFoundError, SharemapError, StoreError
from sharemap.kb.model import Agency, Agreement, Model287g, Snapshot, Source

__all__ = [
    "Agency",
    "Agreement",
    "DataError",
    "InputError",
    "Model287g",
    "NotFoundError",
    "SharemapError",
    "Snapshot",
    "Source",
    "StoreError",
]
