"""The notifications service. Its read side arrives with issue 4; nothing here is wired yet."""
