"""The query service: the read model of tickets, counters and search, and its HTTP API."""
