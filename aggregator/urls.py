"""URL normalisation shared by every stage, so the same article always gets the same key."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from url_normalize import url_normalize

# Click-tracking parameters that never change which document a URL names.
_TRACKING_PARAM = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|igshid|yclid|_hsenc|_hsmi"
    r"|oly_enc_id|oly_anon_id|vero_id|rb_clickid|s_cid|wt_mc|wt_zmc|at_medium|at_campaign|ref_src)$",
    re.IGNORECASE,
)
_ALLOWED_SCHEMES = ("http", "https")


def normalize_url(url: str | None, base: str | None = None) -> str | None:
    """Absolute, canonical http(s) URL, or None when `url` is empty or not http(s).

    Lower-cases scheme and host, drops default ports, resolves dot segments, percent-encodes
    non-ASCII, removes the fragment and click-tracking parameters; keeps other parameters in order.
    """
    if not url:
        return None
    url = url.strip()
    if not url:
        return None
    try:
        if base:
            url = urljoin(base, url)
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


def same_site(url_a: str, url_b: str) -> bool:
    """True when both URLs are on the same host, ignoring a leading "www."."""
    host_a = (urlsplit(url_a).hostname or "").removeprefix("www.")
    host_b = (urlsplit(url_b).hostname or "").removeprefix("www.")
    return bool(host_a) and host_a == host_b
