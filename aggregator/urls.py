"""URL normalisation shared by every stage, so the same article always gets the same key."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from url_normalize.generic_url_cleanup import generic_url_cleanup
from url_normalize.normalize_fragment import normalize_fragment
from url_normalize.normalize_host import normalize_host
from url_normalize.normalize_path import normalize_path
from url_normalize.normalize_port import normalize_port
from url_normalize.normalize_query import normalize_query
from url_normalize.normalize_scheme import DEFAULT_SCHEME, normalize_scheme
from url_normalize.normalize_userinfo import normalize_userinfo
from url_normalize.provide_url_scheme import provide_url_scheme
from url_normalize.tools import cleanup_url_input, deconstruct_url, reconstruct_url

# Click-tracking parameters that never change which document a URL names.
_TRACKING_PARAM = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|igshid|yclid|_hsenc|_hsmi"
    r"|oly_enc_id|oly_anon_id|vero_id|rb_clickid|s_cid|wt_mc|wt_zmc|at_medium|at_campaign|ref_src)$",
    re.IGNORECASE,
)
_ALLOWED_SCHEMES = ("http", "https")

# IDNA processing of the host is most of url_normalize's cost, and a feed's links share a host.
_normalize_host = lru_cache(maxsize=1024)(normalize_host)


def url_normalize(url: str) -> str | None:
    """url_normalize.url_normalize(url) with default arguments, step for step, the host normalised through a
    cache (tests/test_feedxml.py checks it against the library over many URLs)."""
    url = cleanup_url_input(url)
    if not url:
        return url
    url = provide_url_scheme(url, DEFAULT_SCHEME)  # provide_url_domain() is a no-op without a default domain
    url = generic_url_cleanup(url)
    parts = deconstruct_url(url)
    parts = parts._replace(host=_normalize_host(parts.host))
    parts = parts._replace(
        scheme=normalize_scheme(parts.scheme),
        userinfo=normalize_userinfo(parts.userinfo),
        query=normalize_query(parts.query, host=parts.host, filter_params=False, param_allowlist=None),
        fragment=normalize_fragment(parts.fragment),
    )
    parts = parts._replace(port=normalize_port(parts.port, parts.scheme), path=normalize_path(parts.path, parts.scheme))
    return reconstruct_url(parts)


def normalize_url(url: str | None, base: str | None = None) -> str | None:
    """Absolute, canonical http(s) URL, or None when `url` is empty or not http(s).

    Lower-cases scheme and host, drops default ports, resolves dot segments, percent-encodes
    non-ASCII, removes the fragment and click-tracking parameters; keeps other parameters in order.
    """
    # Cached: parsing the same feed again (a changed feed mostly repeats its entries) meets the same links.
    # Keys are exact str: a str subclass such as an lxml XPath result would keep its whole document alive.
    if not url:
        return None
    if type(url) is not str:
        url = str(url)
    if base is not None and type(base) is not str:
        base = str(base)
    return _normalize_url(url, base)


@lru_cache(maxsize=8192)
def _normalize_url(url: str, base: str | None) -> str | None:
    url = url.strip()
    if not url:
        return None
    try:
        if base:
            url = urljoin(base, url)
    except ValueError:  # e.g. "http://[::1"
        return None
    simple = _already_normal(url)
    return simple if simple is not None else _normalize_absolute(url)


# An http(s) URL that url_normalize and the steps below leave as it is: lower-case ASCII host labels (no IDNA
# "xn--" or "--"), a port that is not the default, a path of unreserved characters without dot segments or
# empty segments, a query (if any) of name=value pairs of unreserved characters, no fragment. Most feed links
# and feed URLs look like this; anything else takes the full path.
_LABEL = r"(?!xn--)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_PARAM = r"[A-Za-z0-9._~-]+=[A-Za-z0-9._~-]*"
_SIMPLE = re.compile(
    rf"(https?)://((?:{_LABEL}\.)*{_LABEL})(?::([1-9][0-9]{{0,4}}))?((?:/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*/?)"
    rf"(\?{_PARAM}(?:&{_PARAM})*)?\Z"
)
_DEFAULT_PORT = {"http": "80", "https": "443"}


def _already_normal(url: str) -> str | None:
    m = _SIMPLE.match(url)
    if m is None:
        return None
    scheme, host, port, path, query = m.groups()
    if "--" in host or port == _DEFAULT_PORT[scheme]:
        return None
    # A tracking parameter is dropped by the full path (a config of 100,000 feed URLs with a query spent 5 s there).
    if query and any(_TRACKING_PARAM.match(p.partition("=")[0]) for p in query[1:].split("&")):
        return None
    base = f"{scheme}://{host}:{port}{path or '/'}" if port else f"{scheme}://{host}{path or '/'}"
    return base + query if query else base


def _normalize_absolute(url: str) -> str | None:
    try:
        if urlsplit(url).scheme.lower() not in _ALLOWED_SCHEMES:
            return None
        normal = url_normalize(url)
        if not normal:
            return None
        parts = urlsplit(normal)
        if not parts.hostname:
            return None
    except (ValueError, UnicodeError):  # e.g. "http://[::1" or an invalid IDNA host
        return None
    query = parts.query
    if query:
        kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not _TRACKING_PARAM.match(k)]
        query = urlencode(kept, doseq=True)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, ""))


REDACTED = "***"
# Query parameter names (lower-cased, without "-" and "_") whose values are credentials...
_SECRET_NAMES = frozenset({"key", "auth", "sig", "pass", "pwd", "session", "sessionid", "sid"})
# ...and name endings that mean the same: apikey, api_key, access_token, client_secret, x-amz-signature, oauth...
_SECRET_SUFFIXES = ("token", "secret", "password", "passwd", "apikey", "signature", "credential", "auth", "key")
_URL_IN_TEXT = re.compile(r"""https?://[^\s"'<>`]+""", re.IGNORECASE)


def is_secret_param(name: str) -> bool:
    normalised = name.lower().replace("-", "").replace("_", "")
    return normalised in _SECRET_NAMES or normalised.endswith(_SECRET_SUFFIXES)


def redact_url(url: str) -> str:
    """`url` with its user-info and the values of credential-like query parameters masked:
    `https://user:pass@host/feed?token=abc&page=2` -> `https://***@host/feed?token=***&page=2`.

    For log lines and anything else shown outside the config. Anything that does not parse as a URL comes back
    unchanged; redacting twice gives the same string, so redacted URLs can be compared and grouped.
    """
    if not url or "://" not in url or ("@" not in url and "?" not in url):
        return url  # no user-info and no query: nothing to mask, and no urlsplit (every feed, every start)
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
    except ValueError:
        return url
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rsplit('@', 1)[1]}"
    query = parts.query
    if query:
        pieces = []
        for piece in query.split("&"):
            name, sep, value = piece.partition("=")
            pieces.append(f"{name}={REDACTED}" if sep and value and is_secret_param(name) else piece)
        query = "&".join(pieces)
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_text(text: str) -> str:
    """Every http(s) URL inside a free text (a log line, an error message, a traceback) redacted."""
    if not text or "://" not in text:
        return text
    return _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text)


def same_site(url_a: str, url_b: str) -> bool:
    """True when both URLs are on the same host, ignoring a leading "www."."""
    host_a = (urlsplit(url_a).hostname or "").removeprefix("www.")
    host_b = (urlsplit(url_b).hostname or "").removeprefix("www.")
    return bool(host_a) and host_a == host_b


def clear_caches() -> None:
    """Empty the normalisation caches (they refill as URLs come): after a large configuration is loaded, their
    entries would pin the memory the loader freed (see config.model.compact)."""
    _normalize_url.cache_clear()
    _normalize_host.cache_clear()
