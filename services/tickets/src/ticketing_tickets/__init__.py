"""The tickets command service."""
