"""The realtime tests use the suite-wide ``redis_server`` fixture (tests/conftest.py)."""
