"""Near-duplicates: the same story in several feeds, grouped under its first archived copy."""

from __future__ import annotations

from aggregator.extract import dedupe
from aggregator.models import Article
from aggregator.store.connection import Connection

_SHINGLE_CACHE_SIZE = 512  # stories whose shingles are kept between near-duplicate checks


class DuplicateStore(Connection):
    """simhash_bands and entries.duplicate_of."""

    def _link_near_duplicates(self, entry_id: int, feed_id: int, article: Article) -> None:
        """Mark copies of the same story in other feeds: `duplicate_of` points at the first one archived."""
        conn = self.db.conn
        conn.execute("DELETE FROM simhash_bands WHERE entry_id = ?", [entry_id])
        if article.simhash is None or article.word_count < dedupe.MIN_WORDS:
            return
        fingerprint = int(article.simhash, 16)
        bands = dedupe.bands(fingerprint)
        conn.executemany(
            "INSERT INTO simhash_bands (entry_id, band, value) VALUES (?, ?, ?)",
            [(entry_id, band, value) for band, value in bands],
        )
        candidates = conn.execute(_NEAR_DUPLICATE_CANDIDATES, [*[v for pair in bands for v in pair], entry_id, feed_id])
        # Cheap test first, on the fingerprints. Texts are then compared once per story (its first copy,
        # the root), not once per copy: a story syndicated ten times costs one comparison, not ten.
        close_by_root: dict[int, list[int]] = {}
        for other, other_hash, root in candidates.fetchall():
            if dedupe.close(fingerprint, int(other_hash, 16)):
                close_by_root.setdefault(root, []).append(other)
        text = article.full_text or ""
        own_shingles: frozenset[int] | None = None
        group = []
        for root, others in list(close_by_root.items())[: dedupe.MAX_COMPARED]:
            root_text = conn.execute("SELECT full_text FROM entries WHERE id = ?", [root]).fetchone()[0] or ""
            if root_text != text:  # the same text (a page syndicated verbatim) needs no shingles
                if own_shingles is None:
                    own_shingles = dedupe.shingles(text)
                if dedupe.jaccard_sets(own_shingles, self._story_shingles(root, root_text)) < dedupe.MIN_JACCARD:
                    continue
            group += [(other, root) for other in others]
        if not group:
            return
        root = min([entry_id, *(r for _, r in group)])
        members = {entry_id, *(other for other, _ in group), *(r for _, r in group)} - {root}
        marks = ", ".join("?" * len(members))
        # Only rows that change: an UPDATE rewrites the whole row, page text included, and every copy of a
        # story syndicated N times would otherwise be rewritten at each of the N arrivals.
        conn.execute(
            f"UPDATE entries SET duplicate_of = ? WHERE (id IN ({marks}) OR duplicate_of IN ({marks})) "
            "AND duplicate_of IS NOT ?",
            [root, *members, *members, root],
        )

    def _story_shingles(self, root: int, text: str) -> frozenset[int]:
        """The shingles of a story's root text, from a small LRU cache (checked against the text)."""
        key = hash(text)
        cached = self._shingles.get(root)
        if cached is not None and cached[0] == key:
            self._shingles.move_to_end(root)
            return cached[1]
        shingles = dedupe.shingles(text)
        self._shingles[root] = (key, shingles)
        if len(self._shingles) > _SHINGLE_CACHE_SIZE:
            self._shingles.popitem(last=False)
        return shingles


_NEAR_DUPLICATE_CANDIDATES = (
    "SELECT DISTINCT e.id, e.simhash, COALESCE(e.duplicate_of, e.id) FROM simhash_bands b "
    "JOIN entries e ON e.id = b.entry_id WHERE ("
    + " OR ".join("(b.band = ? AND b.value = ?)" for _ in range(4))
    + ") AND e.id != ? AND e.feed_id != ?"
)
