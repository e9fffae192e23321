"""The query side's pure domain: status codes, the read model's records and their fold."""
