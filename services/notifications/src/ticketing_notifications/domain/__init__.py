"""Who is told what about a ticket event (API.md, Notifications). Standard library only."""
