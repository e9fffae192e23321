"""Use cases of the attachments service and the ports they need."""
