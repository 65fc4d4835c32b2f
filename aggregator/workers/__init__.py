"""The process pool that parses feeds and extracts articles: how its workers start and end (pool), what they
preload (preload), how waiting jobs are grouped (batching) and the feed-parsing jobs (feedjobs)."""
