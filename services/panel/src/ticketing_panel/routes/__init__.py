"""The panel's pages and forms, one module per part (PANEL.md's tables)."""
