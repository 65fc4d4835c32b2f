"""Near-duplicate texts (the same story syndicated across feeds).

A 64-bit simhash (trafilatura's) finds candidates cheaply through four 16-bit bands: copies within a
Hamming distance of 3 share at least one band. Candidates are then confirmed on the texts themselves
(Jaccard similarity of word 5-gram shingles), since templated prose can collide on the simhash alone.
"""

from __future__ import annotations

from functools import lru_cache
from hashlib import blake2b

from trafilatura.deduplication import sample_tokens

MIN_WORDS = 50
MAX_HAMMING = 6
MIN_JACCARD = 0.6
# Stories (not copies) whose text is compared per new article, at most: templated prose can make many
# fingerprints close, and the check must stay cheap per article however large the archive grows.
MAX_COMPARED = 5
_SHINGLE = 5


def text_simhash(text: str) -> str:
    """trafilatura's 64-bit Simhash of `text` (the same value as `Simhash(text).hash`), in hex."""
    return f"{_simhash(text):016x}"


@lru_cache(maxsize=2**14)
def _token_hash(token: str) -> int:
    return int.from_bytes(blake2b(token.encode(), digest_size=8).digest(), "big")


def _simhash(text: str) -> int:
    """trafilatura's Charikar simhash computed with bit-sliced counters: instead of adding a vector of 64
    +1/-1 per token, each token's hash is added to binary counters held bitwise across the 64 positions (a
    ripple carry of a few integer operations), and a bit is set where at least half the tokens have it.
    The same value in less time (tests/test_extract_cost.py compares them)."""
    tokens = sample_tokens(text, 64)
    counters: list[int] = []  # counters[j]: bit j of each position's count of tokens with that bit set
    for token in tokens:
        carry = _token_hash(token)
        for j, counter in enumerate(counters):
            counters[j] = counter ^ carry
            carry &= counter
            if not carry:
                break
        else:
            if carry:
                counters.append(carry)
    fingerprint = 0
    for i in range(64):
        count = 0
        for j, counter in enumerate(counters):
            count |= ((counter >> i) & 1) << j
        if 2 * count >= len(tokens):
            fingerprint |= 1 << i
    return fingerprint


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
