"""The process pool that parses feeds and extracts articles: how its workers start and end (pool), when it is
started and let go (ondemand), what they preload (preload), how waiting jobs are grouped (batching), the
feed-parsing jobs (feedjobs) and the heap given back after each job (heap)."""
