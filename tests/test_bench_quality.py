"""The bench's text-quality phase (scripts/benchlib/quality.py) on a small benchmark of its own making: the
scoring is the ScrapingHub benchmark's (4-token shingles, counts summed over the pages), and a missing data
folder gives no figures rather than an error."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from benchlib import quality

BODY = "The council approved the new budget on Tuesday after a long debate about schools and roads. " * 8


def test_shingle_scores() -> None:
    assert quality._counts("a b c d e", "a b c d e") == (2, 0, 0)
    assert quality._counts("a b c d e", "a b c d x") == (1, 1, 1)  # one 4-gram shared, one each way not
    assert quality._score([(2, 0, 0), (1, 1, 1)]) == {"precision": 0.75, "recall": 0.75, "f1": 0.75}
    assert quality._score([(0, 0, 3)]) == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_measure_on_pages_with_ground_truth(tmp_path: Path) -> None:
    (tmp_path / "html_gz").mkdir()
    truth = {}
    for key, noise in (("clean", ""), ("noisy", "<p>" + "Subscribe to our newsletter for more news. " * 3 + "</p>")):
        page = (f"<html><head><title>Budget</title></head><body><nav><a href='/'>Home</a></nav><article>"
                f"<h1>Budget</h1><p>{BODY}</p>{noise}</article></body></html>")
        (tmp_path / "html_gz" / f"{key}.html.gz").write_bytes(gzip.compress(page.encode()))
        truth[key] = {"url": f"https://news.example/{key}", "articleBody": BODY.strip()}
    (tmp_path / "ground-truth.json").write_text(json.dumps(truth))
    found = quality.measure(tmp_path)
    assert found["pages"] == 2
    for tool in ("extract_article", "trafilatura"):
        scores = found[tool]
        assert isinstance(scores, dict)
        assert scores["recall"] == 1.0  # the whole article body is found on both pages
        assert 0.5 < scores["precision"] <= 1.0


def test_measure_without_the_data(tmp_path: Path) -> None:
    assert quality.measure(tmp_path / "absent") == {}
