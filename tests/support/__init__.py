"""Code shared by the test trees (tests/unit, tests/doubles); each tree's conftest.py puts tests/ on sys.path."""
