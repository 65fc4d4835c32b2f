"""Dates from feeds and pages -> the instant the publisher meant, in UTC, or None.

feedparser's own date handlers return wrong values rather than None for many real formats (named zones other
than the US ones read as UTC, "UTC+0100" ignored, "2:04 PM" read as 02:04, "2010/02/07" and Unix times read
as December 1st, ISO basic format without its time), so entry dates are parsed here from the raw text. A
strict grammar covers the formats feeds use (RFC 822/850/1123, ISO 8601 extended and basic, asctime, Unix
time, the Korean and Hungarian formats feedparser knows) with month names in several languages and a table of
zone names; dateparser takes what is left. Nothing is ever filled in from the current date: a text without a
day, month and year is no date.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

# Years outside this range are placeholders (Go's and .NET's zero time "0001-01-01"), not publication dates.
MIN_YEAR = 1900
MAX_YEAR = 9999

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "jan january janv janvier januar jänner enero ene gennaio gen janeiro januari január",
        "feb february fév févr février februar febrero febbraio fevereiro fev februari február",
        "mar march mars märz mär marzo março mrt maart március",
        "apr april avr avril abril abr aprile április",
        "may mai mayo maggio mag maio mei május",
        "jun june juin juni junio giugno giu junho június",
        "jul july juil juillet juli julio luglio lug julho július",
        "aug august aoû août agosto ago augustus augusztus",
        "sep sept september septembre septiembre settembre set setembro szeptember",
        "oct october octobre okt oktober octubre ottobre ott outubro out október",
        "nov november novembre noviembre novembro",
        "dec december déc décembre dez dezember diciembre dic dicembre dezembro",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _number

# Zone names as feeds use them, in minutes east of UTC. Ambiguous ones take their most common meaning in feeds:
# IST India, CST/EST/PST North America, BST British Summer Time.
_ZONES = {
    "z": 0, "ut": 0, "utc": 0, "gmt": 0, "wet": 0, "west": 60, "bst": 60, "ist": 330, "cet": 60, "met": 60,
    "mez": 60, "cest": 120, "mest": 120, "mesz": 120, "eet": 120, "eest": 180, "msk": 180, "msd": 240,
    "sast": 120, "cat": 120, "eat": 180, "pkt": 300, "npt": 345, "ict": 420, "wib": 420, "hkt": 480, "sgt": 480,
    "pht": 480, "awst": 480, "kst": 540, "jst": 540, "acst": 570, "acdt": 630, "aest": 600, "aedt": 660,
    "nzst": 720, "nzdt": 780, "est": -300, "edt": -240, "cst": -360, "cdt": -300, "mst": -420, "mdt": -360,
    "pst": -480, "pdt": -420, "akst": -540, "akdt": -480, "hst": -600, "ast": -240, "adt": -180, "nst": -210,
    "ndt": -150, "brt": -180, "brst": -120, "art": -180, "clt": -240,
}  # fmt: skip

_TIME = r"(?P<hour>\d{1,2})[:h](?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,]\d+)?)?"
_AMPM = r"(?:\s*(?P<ampm>[ap])\.?\s?m\.?(?![a-z]))?"
# a zone name, or an offset with or without a GMT/UTC prefix ("+0100", "GMT+2", "UTC+01:00"), then perhaps a
# comment such as "(CET)"
_ZONE = (
    r"(?:\s*(?:(?P<zname>[a-z]{1,5})?\s*(?P<sign>[+-])(?P<zh>\d{1,2})(?::?(?P<zm>\d{2}))?|(?P<zone>[a-z]{1,5}))"
    r"(?:\s*\([^)]*\))?)?"
)
_WEEKDAY = r"(?:[^\W\d_]+\.?,?\s+)?"
_MONTH = r"(?P<month>[^\W\d_]{3,10})\.?"
_YEAR = r"(?P<year>\d{4}|\d{2})"

_ISO = re.compile(
    r"(?P<year>\d{4})(?P<sep>-?)(?P<month>\d{2})(?P=sep)(?P<day>\d{2})"
    r"(?:(?:t|\s+)(?P<hour>\d{2})(?::?)(?P<minute>\d{2})(?::?(?P<second>\d{2})(?:[.,]\d+)?)?"
    r"(?:\s*(?:(?P<zname>z|utc|gmt)|(?P<sign>[+-])(?P<zh>\d{2})(?::?(?P<zm>\d{2}))?))?)?\Z"
)
# "Sun, 07 Feb 2010 14:04:00 +0100", "Sunday, 07-Feb-10 14:04:00 GMT", "7. Februar 2010, 14:04 Uhr"
_DAY_FIRST = re.compile(
    _WEEKDAY + r"(?P<day>\d{1,2})\.?(?:\s*de)?[\s-]+" + _MONTH + r"(?:\s*de)?[\s-]+" + _YEAR
    + r"(?:,?\s+(?:um\s+|à\s+|at\s+|alle\s+|a las\s+|às\s+|om\s+)?" + _TIME + _AMPM + r"(?:\s*uhr)?" + _ZONE + r")?\Z"
)  # fmt: skip
# "Feb 7, 2010 2:04 PM EST", asctime "Sun Feb  7 14:04:00 2010", Unix date "Sun Feb 7 14:04:00 CET 2010"
_MONTH_FIRST = re.compile(
    _WEEKDAY + _MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?:(?P<year>\d{4}),?\s*)?"
    r"(?:(?:at\s+)?" + _TIME + _AMPM + _ZONE + r")?(?:\s+(?P<year2>\d{4}))?\Z"
)  # fmt: skip
# "2010/02/07 14:04:00", "2010-02-07 2:04 PM", Hungarian "2004-július-13T9:15-05:00"
_YEAR_FIRST = re.compile(
    r"(?P<year>\d{4})[/.-](?P<month>\d{1,2}|[^\W\d_]{3,10})[/.-](?P<day>\d{1,2})"
    r"(?:(?:t|\s+)" + _TIME + _AMPM + _ZONE + r")?\Z"
)  # fmt: skip
# "07.02.2010 14:04" (day first, as everywhere dots separate), "02/07/2010" (order decided below)
_NUMERIC = re.compile(
    r"(?P<a>\d{1,2})(?P<sep>[./])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4}),?"
    r"(?:(?:\s+|\s*-\s*)" + _TIME + _AMPM + r"(?:\s*uhr)?" + _ZONE + r")?\Z"
)  # fmt: skip
# Korean: "2004-05-25 오후 11:23:17" (Nate), "2004년 05월 28일 01:31:15" (OnBlog); both in Korea's time
_KOREAN = re.compile(
    r"(?P<year>\d{4})(?:-|년\s*)(?P<month>\d{1,2})(?:-|월\s*)(?P<day>\d{1,2})일?"
    r"\s+(?:(?P<ko_ampm>오전|오후)\s*)?(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?\Z"
)
_UNIX = re.compile(r"(?P<seconds>\d{9,10})(?:\.\d+)?\Z")
_SPACES = re.compile(r"\s+")
_FOUR_DIGITS = re.compile(r"(?<!\d)\d{4}(?!\d)")
_dateparser: Any = None


def parse_date(value: Any) -> datetime | None:
    """The instant a date text names, as an aware UTC datetime, or None (also for anything but a string)."""
    if not isinstance(value, str):
        return None
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip().lower()
    if not text or len(text) > 200:
        return None
    when = _strict(text)
    if isinstance(when, _Unsure):
        when = _fallback(text)
    if when is None:
        return None
    return when if MIN_YEAR <= when.year <= MAX_YEAR else None


def iso_utc(value: Any) -> str | None:
    """parse_date as stored: "2025-02-12T20:15:00Z" (always a four-digit year), or None."""
    when = parse_date(value)
    return format_utc(when) if when else None


_TIME_OF_DAY = re.compile(r"\d[:h]\d{2}|\dt\d{2}|\d\s*[ap]\.?\s?m\b", re.IGNORECASE)


def names_time(value: Any) -> bool:
    """Whether a date text that parse_date reads gives a time of day, not only a day ("2010-02-07")."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    return bool(_TIME_OF_DAY.search(text) or _UNIX.match(text))


_EXACT_PAGE_SOURCES = ("page-meta", "page-json-ld")
_DAY_ONLY_SOURCES = ("feed-day", "page-day")


def page_date_wins(stored: str | None, stored_source: str | None, page: str | None, page_source: str | None) -> bool:
    """Whether the article page's publication time replaces the one stored from the feed (models.DATE_SOURCES).

    The feed's exact date always stays. The page's exact time replaces a day without a time when it falls on
    that day (give or take the day the time zone moves it by), and the feed's update time when it is not later.
    """
    if not page:
        return False
    if not stored:
        return True
    if page_source not in _EXACT_PAGE_SOURCES:
        return False
    page_at, stored_at = parse_date(page), parse_date(stored)
    if page_at is None or stored_at is None:
        return False
    if stored_source in _DAY_ONLY_SOURCES:
        return abs(page_at - stored_at) < timedelta(days=2) and page_at >= stored_at - timedelta(days=1)
    if stored_source == "feed-updated":
        return page_at <= stored_at + timedelta(minutes=1)
    return False


def format_utc(when: datetime) -> str:
    when = when.astimezone(UTC)
    return f"{when.year:04d}-{when.month:02d}-{when.day:02d}T{when.hour:02d}:{when.minute:02d}:{when.second:02d}Z"


class _Unsure:
    pass


_UNSURE = _Unsure()


def _strict(text: str) -> datetime | _Unsure | None:
    """None: the text has a known shape but names no valid instant; _UNSURE: no known shape."""
    if m := _UNIX.match(text):
        return _from_timestamp(int(m["seconds"]))
    for pattern in (_ISO, _DAY_FIRST, _MONTH_FIRST, _YEAR_FIRST):
        if m := pattern.match(text):
            return _build(m.groupdict())
    if m := _NUMERIC.match(text):
        parts = m.groupdict()
        a, b = int(parts["a"] or 0), int(parts["b"] or 0)
        if parts["sep"] == "." or a > 12:
            parts["day"], parts["month"] = parts["a"], parts["b"]
        elif b > 12:
            parts["day"], parts["month"] = parts["b"], parts["a"]
        else:
            return None  # "02/07/2010": February in the US, July elsewhere; no way to know
        return _build(parts)
    if m := _KOREAN.match(text):
        parts = m.groupdict()
        if parts["ko_ampm"]:
            parts["ampm"] = "p" if parts["ko_ampm"] == "오후" else "a"
        parts["zone"] = "kst"
        return _build(parts)
    return _UNSURE


def _build(p: dict[str, str | None]) -> datetime | _Unsure | None:
    year_text = p.get("year") or p.get("year2")
    if not year_text or (p.get("year") and p.get("year2")):
        return None
    year = int(year_text)
    if len(year_text) == 2:
        year += 2000 if year < 50 else 1900  # RFC 2822's rule for two-digit years
    month_text = p["month"] or ""
    month = int(month_text) if month_text.isdigit() else _MONTHS.get(month_text.rstrip("."))
    if month is None:
        return _UNSURE  # a month name in another language: dateparser may know it
    hour = int(p.get("hour") or 0)
    ampm = p.get("ampm")
    if ampm and 1 <= hour <= 12:
        hour = hour % 12 + (12 if ampm == "p" else 0)
    offset = _offset(p)
    if offset is None:
        return _UNSURE  # a zone name we do not know
    try:
        local = datetime(year, month, int(p["day"] or 0), hour, int(p.get("minute") or 0), int(p.get("second") or 0))
        return (local - timedelta(minutes=offset)).replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


def _offset(p: dict[str, str | None]) -> int | None:
    """Minutes east of UTC; a text without a zone is taken as UTC (as feedparser does for W3C dates)."""
    if p.get("sign"):
        if p.get("zname") and p["zname"] not in _ZONES:
            return None
        minutes = int(p["zh"] or 0) * 60 + int(p.get("zm") or 0)
        if minutes > 14 * 60:
            return None  # no such offset
        return -minutes if p["sign"] == "-" else minutes
    name = p.get("zone") or p.get("zname")
    return _ZONES.get(name) if name else 0


def _from_timestamp(seconds: float) -> datetime | None:
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _fallback(text: str) -> datetime | None:
    """dateparser for the rest (long forms in other languages), configured never to fill a part from now."""
    if not _FOUR_DIGITS.search(text):
        return None  # no year: a weekday, a time, "yesterday"; dateparser would guess two-digit years
    parser = _get_dateparser()
    try:
        when = parser.get_date_data(text).date_obj
    except Exception:  # dateparser raises assorted errors on odd input
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def _get_dateparser() -> Any:
    global _dateparser
    if _dateparser is None:
        from dateparser.date import DateDataParser  # imported on first use: it takes a while and is rarely needed

        _dateparser = DateDataParser(
            languages=["en", "de", "fr", "es", "it", "pt", "nl"],
            settings={
                "RETURN_AS_TIMEZONE_AWARE": True,
                "TIMEZONE": "UTC",  # a text without a zone is UTC, not the machine's zone
                "TO_TIMEZONE": "UTC",
                "REQUIRE_PARTS": ["day", "month", "year"],
                "RELATIVE_BASE": datetime(2000, 1, 1),
                # no "relative-time": "yesterday" or "3 hours ago" depend on when we read the feed
                "PARSERS": ["timestamp", "custom-formats", "absolute-time"],
            },
        )
    return _dateparser
