"""The hour ledger and mutual aid: accounts, transfers, holds and service records."""
