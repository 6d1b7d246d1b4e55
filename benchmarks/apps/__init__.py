"""Benchmark apps: the shared spec (``common``), the bare floors and the peer frameworks."""
