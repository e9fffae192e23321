"""The query service. Its read side arrives with issue 3; nothing here is wired yet."""
