"""A local, generated news site with feeds, for tests, benchmarks and demos.

``NewsSite`` serves several sites (WordPress, Ghost and Hugo markup; German and English) whose articles
form chains longer than their feeds, in RSS 2.0, Atom 1.0, RSS 1.0 and JSON Feed 1.1, plus broken
endpoints. Every article keeps its ground truth (``Article``), so consumers can be checked against it.
"""

from .content import FEED_FORMATS, Article, Block, Image, SiteSpec, World
from .routes import BROKEN_PATHS
from .server import CustomResponse, FeedInfo, NewsSite, RequestRecord

__all__ = [
    "BROKEN_PATHS",
    "FEED_FORMATS",
    "Article",
    "Block",
    "CustomResponse",
    "FeedInfo",
    "Image",
    "NewsSite",
    "RequestRecord",
    "SiteSpec",
    "World",
]
