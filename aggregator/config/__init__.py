"""Configuration: feeds.yaml (the model and its validation, comment-keeping edits) and OPML."""
