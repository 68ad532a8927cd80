"""Helpers of tests/unit that are not tests themselves (tests/unit/conftest.py puts tests/ on sys.path)."""
