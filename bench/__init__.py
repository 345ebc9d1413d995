"""`python -m bench`: throughput of the hour ledger against the raw drivers, and verify at 1M."""
