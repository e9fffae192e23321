"""The notifications service: who to tell about ticket events, and through which channels."""
