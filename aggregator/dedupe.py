"""Near-duplicate texts (the same story syndicated across feeds).

A 64-bit simhash (trafilatura's) finds candidates cheaply through four 16-bit bands: copies within a
Hamming distance of 3 share at least one band. Candidates are then confirmed on the texts themselves
(Jaccard similarity of word 5-gram shingles), since templated prose can collide on the simhash alone.
"""

from __future__ import annotations

from trafilatura.deduplication import Simhash

MIN_WORDS = 50
MAX_HAMMING = 6
MIN_JACCARD = 0.6
# Stories (not copies) whose text is compared per new article, at most: templated prose can make many
# fingerprints close, and the check must stay cheap per article however large the archive grows.
MAX_COMPARED = 5
_SHINGLE = 5


def text_simhash(text: str) -> str:
    return f"{Simhash(text).hash:016x}"


def bands(fingerprint: int) -> list[tuple[int, int]]:
    return [(band, (fingerprint >> (16 * band)) & 0xFFFF) for band in range(4)]


def shingles(text: str) -> frozenset[int]:
    """Word 5-grams of the casefolded text, as hashes (ints compare faster than tuples of words).

    Python's string hashes differ between processes: compare only shingles made in one process."""
    words = text.casefold().split()
    if len(words) < _SHINGLE:
        return frozenset((hash(tuple(words)),))
    return frozenset(map(hash, zip(*(words[i:] for i in range(_SHINGLE)), strict=False)))


def jaccard_sets(left: frozenset[int], right: frozenset[int]) -> float:
    if not left or not right:
        return 0.0
    common = len(left & right)
    return common / (len(left) + len(right) - common)


def jaccard(a: str, b: str) -> float:
    return jaccard_sets(shingles(a), shingles(b))


def close(hash_a: int, hash_b: int) -> bool:
    return (hash_a ^ hash_b).bit_count() <= MAX_HAMMING


def similar_texts(text_a: str, text_b: str) -> bool:
    return jaccard(text_a, text_b) >= MIN_JACCARD
