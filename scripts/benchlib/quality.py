"""Text quality of the stored article text on the ScrapingHub article-extraction benchmark (../shared/data/aeb):
`extract_article`'s text against plain trafilatura's (`bare_extraction(with_metadata=True)`) on the same 181
pages, scored as that benchmark scores (shingles of 4 tokens; true/false positives and false negatives summed
over the pages). Shows that the cost work on `extract_article` kept its text (issue 18: F1 not lower)."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from pathlib import Path

from .corpus import REAL_PAGES_DIR

AEB = REAL_PAGES_DIR.parent
_TOKEN = re.compile(r"\w+", re.UNICODE)
_NGRAM = 4


def _shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text)
    if len(tokens) < _NGRAM:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i : i + _NGRAM]) for i in range(len(tokens) - _NGRAM + 1))


def _counts(truth: str, predicted: str) -> tuple[int, int, int]:
    true, pred = _shingles(truth), _shingles(predicted)
    tp = sum((true & pred).values())
    return tp, sum(pred.values()) - tp, sum(true.values()) - tp


def _score(counts: list[tuple[int, int, int]]) -> dict[str, float]:
    tp, fp, fn = (sum(c[i] for c in counts) for i in range(3))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def measure(root: Path = AEB) -> dict[str, object]:
    """F1 of both texts over every page with ground truth; {} when the data is absent."""
    import trafilatura

    from aggregator.extract.article import ExtractionError, extract_article

    truth_file = root / "ground-truth.json"
    if not truth_file.is_file():
        return {}
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    ours: list[tuple[int, int, int]] = []
    plain: list[tuple[int, int, int]] = []
    for key, item in sorted(truth.items()):
        page = root / "html_gz" / f"{key}.html.gz"
        if not page.is_file():
            continue
        body = gzip.decompress(page.read_bytes())
        url = item.get("url") or f"https://example.org/{key}"
        try:
            text = extract_article(body, url).full_text
        except ExtractionError:
            text = ""
        document = trafilatura.bare_extraction(body, url=url, with_metadata=True)
        expected = item.get("articleBody") or ""
        ours.append(_counts(expected, text))
        plain.append(_counts(expected, (document.text or "") if document is not None else ""))
    return {"pages": len(ours), "extract_article": _score(ours), "trafilatura": _score(plain)}
