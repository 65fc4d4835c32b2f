"""Extraction: an article page's text and metadata (trafilatura), its previous/next links, near-duplicate
fingerprints, and the one article path that fetches and extracts a page."""
