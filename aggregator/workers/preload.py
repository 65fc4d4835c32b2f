"""Imported once by the extraction pool's forkserver, before it forks any worker.

Everything trafilatura and py3langid build on first use is built here, so that every worker shares the one
copy (copy-on-write) and starts extracting at full speed: py3langid's language model, jusText's
stoplist of every language (150,000 words), tld's suffix list, the table of Unicode punctuation, and the
lazily compiled patterns and caches of the first extraction. Done in each worker instead, that cost CPU and
memory in every worker, at every renewal (the README's Performance section has the figures).
Not imported by the main process, which never extracts.
"""

from __future__ import annotations

import gc
import logging

import py3langid
from courlan import extract_domain
from justext.core import define_stoplist
from trafilatura.deduplication import sample_tokens
from trafilatura.external import jt_stoplist_init

from aggregator.extract.article import extract_article
from aggregator.workers.heap import trim_heap

_SAMPLE_URL = "https://news.example.org/2024/05/10/warm-up/"
_SAMPLE_PAGE = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Warm-up – Example News</title>'
    f'<link rel="canonical" href="{_SAMPLE_URL}"><meta name="author" content="A. Writer">'
    '<meta property="article:published_time" content="2024-05-10T08:00:00+00:00"></head><body>'
    '<header><a href="/">Example News</a><nav><a href="/world/">World</a></nav></header>'
    "<main><article><h1>Warm-up</h1><time datetime='2024-05-10'>10 May 2024</time>"
    + "<p>The workers of the extraction pool start from this process, with everything loaded once.</p>" * 6
    + '</article><nav class="post-navigation"><a href="/2024/05/01/older/" rel="prev">Previous Post</a>'
    '<a href="/2024/05/20/newer/" rel="next">Next Post</a></nav></main></body></html>'
).encode()


def _warm() -> None:
    py3langid.classify("warm-up: loads the language model")
    define_stoplist(jt_stoplist_init())  # what trafilatura's jusText fallback builds on the first page needing it
    extract_domain(_SAMPLE_URL)  # loads tld's suffix list
    sample_tokens("。")  # builds the fingerprint's table of every punctuation mark in Unicode (a scan of it all)
    extract_article(_SAMPLE_PAGE, _SAMPLE_URL)


# Only a head start: the forkserver survives an ImportError of its preload and nothing else, and every
# extraction needs it.
try:
    _warm()
except Exception:
    logging.getLogger("aggregator.extract.article").warning("warming the extraction workers failed", exc_info=True)

# Objects made so far live for the life of every worker: keep them out of the collector's scans, whose
# writes to object headers would copy the shared pages into each worker.
gc.collect()
gc.freeze()
# What the imports and the warm-up freed goes back to the system before any worker forks (every worker would
# otherwise start with those pages mapped).
trim_heap()
