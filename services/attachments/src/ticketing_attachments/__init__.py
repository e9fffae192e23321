"""The attachments service: uploads sniffed and checksummed, blobs stored by key, downloads
authorised from what the ticket events say about who may see each attachment."""
