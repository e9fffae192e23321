"""The embedded runner and the `ticketing` command-line tool."""
