"""Make `ansible_collections.curtain.kube` and the shared test code in tests/support importable from a checkout.

The repository root is the collection; `collections/ansible_collections/curtain/kube` is a committed
symlink to it, so putting `collections/` on sys.path is all the import machinery needs. `tests/` goes on it too,
for the `support` package.
"""

import sys
from pathlib import Path

COLLECTIONS_ROOT = Path(__file__).resolve().parents[2] / "collections"
TESTS_ROOT = Path(__file__).resolve().parents[1]
for import_root in (COLLECTIONS_ROOT, TESTS_ROOT):
    if str(import_root) not in sys.path:
        sys.path.insert(0, str(import_root))
