"""Polling: one poll of one feed end to end, gap filling, backfill and re-extraction."""
