"""HTTP entry points of the attachments service."""
