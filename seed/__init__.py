"""Seeding: the believable demo street (`seed-demo`) and large streets for benchmarks (`--scale`)."""

from seed.cli import seed_demo_command

__all__ = ["seed_demo_command"]
