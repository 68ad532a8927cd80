"""Make `ansible_collections.curtain.kube` importable from a checkout.

The repository root is the collection; `collections/ansible_collections/curtain/kube` is a committed
symlink to it, so putting `collections/` on sys.path is all the import machinery needs.
"""

import sys
from pathlib import Path

COLLECTIONS_ROOT = Path(__file__).resolve().parents[2] / "collections"
if str(COLLECTIONS_ROOT) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS_ROOT))
