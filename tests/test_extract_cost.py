"""What extract_article adds to trafilatura's own work stays cheap and gives the same answers (issue 18, item 4)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import lxml.html
import py3langid
import pytest

from aggregator.extract import article as extract

AEB = Path(__file__).resolve().parents[2] / "shared" / "data" / "aeb"
GERMAN = "Die Hochwasserlage an der Elbe hat sich in der Nacht weiter verschärft, berichten die Behörden. " * 60


def test_language_is_detected_from_the_opening(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    original = py3langid.classify

    def classify(text: str) -> tuple[str, float]:
        seen.append(len(text))
        return original(text)

    monkeypatch.setattr(extract.py3langid, "classify", classify)
    tree = lxml.html.fromstring('<html lang="en"><body><p>x</p></body></html>')
    assert len(GERMAN) > 5000
    assert extract._language(tree, GERMAN) == "de"  # the text, not the declared lang
    # the opening disagrees with the declared language: the longer sample decides
    assert seen == [extract._CONFIRM_SAMPLE, extract._LANGUAGE_SAMPLE]
    assert extract._language(tree, "short") == "en"  # too short to detect: the declared one
    assert len(seen) == 2
    german = lxml.html.fromstring('<html lang="de-DE"><body><p>x</p></body></html>')
    assert extract._language(german, GERMAN) == "de"
    assert seen[2:] == [extract._CONFIRM_SAMPLE]  # confirmed by the opening alone


@pytest.mark.shared
def test_language_of_the_opening_is_the_whole_texts() -> None:
    if not (AEB / "ground-truth.json").exists():
        pytest.skip("../shared/data/aeb is not available")
    import trafilatura

    truth = json.loads((AEB / "ground-truth.json").read_text(encoding="utf-8"))
    compared = 0
    for path in sorted((AEB / "html_gz").glob("*.html.gz"))[:40]:
        page_id = path.name.split(".")[0]
        document = trafilatura.bare_extraction(
            gzip.decompress(path.read_bytes()), url=truth[page_id]["url"], with_metadata=True, include_comments=False
        )
        text = (document.text or "").strip() if document else ""
        if len(text) <= extract._LANGUAGE_SAMPLE:
            continue
        tree = lxml.html.fromstring("<html><body></body></html>")
        assert extract._language(tree, text) == py3langid.classify(text)[0], page_id
        compared += 1
    assert compared >= 10


SIMHASH_TEXTS = [
    "",
    "a",
    "one two three",
    "。。 中文 文本 的 测试",
    GERMAN,
    "Short words only: a an the of to in on at by it is as be " * 30,
    " ".join(f"token{i % 97} word{i % 13}" for i in range(5000)),
    "Punctuation, everywhere! (Really?) Yes: 'quoted' — and \u201csmart\u201d; end." * 40,
]


@pytest.mark.parametrize("text", SIMHASH_TEXTS)
def test_simhash_is_trafilaturas(text: str) -> None:
    from trafilatura.deduplication import Simhash

    from aggregator.extract.dedupe import text_simhash

    assert text_simhash(text) == f"{Simhash(text).hash:016x}"


def test_simhash_is_trafilaturas_on_random_texts() -> None:
    import random

    from trafilatura.deduplication import Simhash

    from aggregator.extract.dedupe import text_simhash

    rng = random.Random(18)
    vocabulary = [f"w{i}" for i in range(300)] + ["Überschwemmung", "élection", "a", "to", "zusammen"]
    for _ in range(300):
        text = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 2000)))
        assert text_simhash(text) == f"{Simhash(text).hash:016x}", text[:80]
