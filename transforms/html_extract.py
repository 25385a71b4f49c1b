"""Find the article in a whole HTML page: its body paragraphs and its metadata.

The page is parsed once with lxml. Non-article regions are pruned by tag, ARIA role and class/id word
patterns; the article container is the element whose good paragraph text most outweighs the noise text
it also holds; inside it, link lists and orphan headings are dropped. Line-level promo residue
("Sign up for ...", "Advertisement") is left to ``transforms.boilerplate``.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import lxml.etree as etree
import lxml.html

MAX_HTML_CHARS = 5_000_000
_MAX_JSON_LD_CHARS = 1_000_000


class HtmlExtractionError(ValueError):
    """The page has no usable article text; ``reason`` says why in one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class HtmlPage:
    """An article found in an HTML page; absent metadata is None, never guessed."""

    paragraphs: list[str]
    title: str | None
    published_raw: str | None
    byline: str | None
    outlet: str | None
    language: str | None
    url: str | None


def extract_html(html: str | bytes) -> HtmlPage:
    """Extract the article body and metadata of one HTML page.

    ``html`` may be bytes (decoded by BOM, then declared charset, then UTF-8, then detection) or str.
    Raises ``HtmlExtractionError`` when the page holds no article text.
    """
    text = _decode(html) if isinstance(html, bytes | bytearray) else html
    root = _parse(_bound_size(_sanitize(text)))
    meta = _read_metadata(root)
    paragraphs = _extract_body(root, meta.get("title"))
    if not paragraphs:
        raise HtmlExtractionError("no article text found in the page")
    return HtmlPage(paragraphs=paragraphs, **meta)


# --- decoding ----------------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_DECLARED_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]+)""", re.IGNORECASE)
_XML_ENCODING_RE = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_.\-]+)""")
# Browsers read these labels as windows-1252, and so do we (WHATWG encoding standard).
_WINDOWS_1252_LABELS = {"iso8859-1", "latin-1", "ascii", "us-ascii", "iso-8859-1", "latin1", "l1"}


def _decode(data: bytes) -> str:
    data = bytes(data)
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    head = data[:8192]
    declared = _declared_encoding(head)
    try:
        utf8 = data.decode("utf-8")
    except UnicodeDecodeError:
        utf8 = None
    if utf8 is not None and (declared in (None, "utf-8") or not utf8.isascii()):
        # Valid non-ASCII UTF-8 is almost never another charset by chance: a contrary declaration is wrong.
        return utf8
    if declared is not None:
        try:
            return data.decode(declared)
        except UnicodeDecodeError:
            pass
    return _detect_and_decode(data, declared)


def _declared_encoding(head: bytes) -> str | None:
    match = _XML_ENCODING_RE.match(head) or _DECLARED_CHARSET_RE.search(head)
    if not match:
        return None
    label = match.group(1).decode("ascii", errors="ignore").strip().lower()
    if label in _WINDOWS_1252_LABELS:
        return "cp1252"
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    # A page read as ASCII-compatible bytes cannot really be UTF-16/32: the declaration is wrong.
    return None if name.startswith(("utf-16", "utf-32")) else name


def _detect_and_decode(data: bytes, declared: str | None) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    encoding = best.encoding if best is not None else (declared or "cp1252")
    try:
        return data.decode(encoding, errors="replace")
    except LookupError:
        return data.decode("cp1252", errors="replace")


# --- parsing -----------------------------------------------------------------------------------------

_XML_DECLARATION_RE = re.compile(r"^\s*<\?xml[^>]*>")
_CONTROL_CHARS_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufeff]+")
_RAW_BLOCK_TAGS = ("script", "style", "svg", "noscript", "template")
# Tags that keep paragraph boundaries when a too-deep page is flattened; every other tag is dropped.
_FLAT_KEEP_TAGS = frozenset("p h1 h2 h3 h4 h5 h6 li br title meta link html head body pre".split())
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>")
_ANY_TAG_RE = re.compile(r"<[^>]*>")


def _sanitize(text: str) -> str:
    # lxml refuses str input with an encoding declaration, and NUL/control chars end up as garbage.
    text = _XML_DECLARATION_RE.sub("", text, count=1)
    return _CONTROL_CHARS_RE.sub(" ", text)


def _bound_size(text: str) -> str:
    """Keep the parsed tree's memory bounded: drop raw script/style blocks, then cut what is still too long."""
    if len(text) <= MAX_HTML_CHARS:
        return text
    text = _strip_raw_blocks(text)
    return text[:MAX_HTML_CHARS]


def _strip_raw_blocks(text: str) -> str:
    # A linear scan with str.find: a regex with .*? goes quadratic on many unclosed "<script" openings.
    lower = text.lower()
    pieces = []
    pos = 0
    while True:
        starts = [(lower.find("<" + tag, pos), tag) for tag in _RAW_BLOCK_TAGS]
        starts = [(index, tag) for index, tag in starts if index >= 0]
        if not starts:
            pieces.append(text[pos:])
            break
        start, tag = min(starts)
        pieces.append(text[pos:start])
        end = lower.find("</" + tag, start)
        if end < 0:
            break
        close = lower.find(">", end)
        pos = len(text) if close < 0 else close + 1
    return "".join(pieces)


def _parse(text: str) -> lxml.html.HtmlElement:
    """Parse with lxml; a page nested past libxml2's depth limit is re-parsed flattened, then as plain text."""
    if not text.strip():
        raise HtmlExtractionError("empty document")
    for attempt in (text, _flatten(text), _plain_text_document(text)):
        # One parser per call: lxml parsers are not thread-safe and their error log is per parser.
        parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, recover=True)
        try:
            root = lxml.html.document_fromstring(attempt, parser=parser)
        except (etree.ParserError, etree.XMLSyntaxError, ValueError) as error:
            raise HtmlExtractionError(f"unparseable document: {error}") from error
        if not any("Excessive depth" in entry.message for entry in parser.error_log):
            return root
    raise HtmlExtractionError("document nesting too deep to parse")


def _flatten(text: str) -> str:
    def keep_paragraph_tags(match: re.Match[str]) -> str:
        return match.group(0) if match.group(2).lower() in _FLAT_KEEP_TAGS else " "

    return _TAG_RE.sub(keep_paragraph_tags, _strip_raw_blocks(text))


def _plain_text_document(text: str) -> str:
    stripped = _ANY_TAG_RE.sub(" ", _strip_raw_blocks(text))
    return "<html><body><pre>" + stripped.replace("&", "&amp;").replace("<", "&lt;") + "</pre></body></html>"


# --- metadata ----------------------------------------------------------------------------------------

_ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "reviewnewsarticle",
    "backgroundnewsarticle",
    "blogposting",
    "liveblogposting",
    "socialmediaposting",
    "techarticle",
    "scholarlyarticle",
    "report",
    "webpage",
}
_PUBLISHED_META_KEYS = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "publishdate",
    "publish-date",
    "pubdate",
    "publication_date",
    "sailthru.date",
    "parsely-pub-date",
    "dc.date.issued",
    "dc.date",
    "dcterms.created",
    "date",
)
_TITLE_SEPARATOR_RE = re.compile(r"\s+[|\-–—:·•»]\s+")
_LANGUAGE_RE = re.compile(r"^([a-zA-Z]{2})(?:$|[-_])")


def _read_metadata(root: lxml.html.HtmlElement) -> dict[str, str | None]:
    metas = _meta_values(root)
    ld = _json_ld_article(root)
    outlet = _first(metas.get("og:site_name"), _ld_name(ld.get("publisher")))
    return {
        "title": _read_title(root, metas, ld, outlet),
        "published_raw": _first(
            metas.get("article:published_time"),
            _ld_text(ld.get("datePublished")),
            *(metas.get(key) for key in _PUBLISHED_META_KEYS[1:]),
            _time_datetime(root),
        ),
        "byline": _first(_ld_name(ld.get("author")), _non_url(metas.get("author"))),
        "outlet": outlet,
        "language": _read_language(root, metas),
        "url": _read_url(root, metas),
    }


def _meta_values(root: lxml.html.HtmlElement) -> dict[str, str]:
    values: dict[str, str] = {}
    for meta in root.iter("meta"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop") or meta.get("http-equiv")
        content = meta.get("content")
        if key and content and content.strip():
            values.setdefault(key.strip().lower(), _normalize_space(content))
    return values


def _json_ld_article(root: lxml.html.HtmlElement) -> dict:
    """The first JSON-LD object typed as an article (or holding a headline); {} when there is none."""
    fallback: dict = {}
    for script in root.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        raw = script.text or ""
        if len(raw) > _MAX_JSON_LD_CHARS:
            continue
        try:
            data = json.loads(raw, strict=False)
        except ValueError:
            continue
        for node in _json_ld_nodes(data):
            types = node.get("@type")
            types = types if isinstance(types, list) else [types]
            if any(isinstance(t, str) and t.lower() in _ARTICLE_TYPES - {"webpage"} for t in types):
                return node
            if not fallback and "headline" in node:
                fallback = node
    return fallback


def _json_ld_nodes(data: object) -> Iterator[dict]:
    # Iterative: JSON-LD from hostile pages may nest arbitrarily.
    stack = [data]
    seen = 0
    while stack and seen < 1000:
        item = stack.pop(0)
        seen += 1
        if isinstance(item, list):
            stack[:0] = item
        elif isinstance(item, dict):
            yield item
            graph = item.get("@graph")
            if isinstance(graph, list):
                stack[:0] = graph


def _ld_text(value: object) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        text = _normalize_space(str(value))
        return text or None
    return None


def _ld_name(value: object) -> str | None:
    """Name(s) from a JSON-LD person/organization value: a string, an object with "name", or a list."""
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items[:20]:
        name = item.get("name") if isinstance(item, dict) else item
        text = _ld_text(name)
        if text and not _looks_like_url(text) and text not in names:
            names.append(text)
    return ", ".join(names) or None


def _read_title(
    root: lxml.html.HtmlElement, metas: dict[str, str], ld: dict, outlet: str | None
) -> str | None:
    og = metas.get("og:title")
    if og:
        return _strip_site_suffix(og, outlet, always=False)
    headline = _ld_text(ld.get("headline"))
    if headline:
        return headline
    for h1 in root.iter("h1"):
        text = _normalize_space(h1.text_content())
        if text:
            return text
    title = root.find(".//title")
    if title is not None:
        text = _normalize_space(title.text_content())
        return _strip_site_suffix(text, outlet, always=True) or None
    return None


def _strip_site_suffix(title: str, outlet: str | None, always: bool) -> str:
    parts = _TITLE_SEPARATOR_RE.split(title)
    if len(parts) < 2:
        return title
    head = title[: title.rfind(parts[-1])].rstrip()
    head = _TITLE_SEPARATOR_RE.sub("", head[-3:]) if False else re.sub(r"\s*[|\-–—:·•»]\s*$", "", head)
    suffix = parts[-1].strip()
    if outlet and suffix.lower() == outlet.lower():
        return head
    if always and len(suffix.split()) <= 5 and len(head) >= len(suffix):
        return head
    return title


def _time_datetime(root: lxml.html.HtmlElement) -> str | None:
    for time_el in root.iter("time"):
        value = time_el.get("datetime")
        if value and value.strip():
            return value.strip()
    return None


def _read_language(root: lxml.html.HtmlElement, metas: dict[str, str]) -> str | None:
    for raw in (
        root.get("lang"),
        root.get("xml:lang"),
        metas.get("og:locale"),
        metas.get("content-language"),
        metas.get("language"),
    ):
        match = _LANGUAGE_RE.match((raw or "").strip())
        if match:
            return match.group(1).lower()
    return None


def _read_url(root: lxml.html.HtmlElement, metas: dict[str, str]) -> str | None:
    for link in root.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and _looks_like_url(link.get("href")):
            return link.get("href").strip()
    og = metas.get("og:url")
    return og if _looks_like_url(og) else None


def _looks_like_url(value: str | None) -> bool:
    return bool(value) and value.strip().lower().startswith(("http://", "https://"))


def _non_url(value: str | None) -> str | None:
    return None if value is None or _looks_like_url(value) else value


def _first(*values: str | None) -> str | None:
    for value in values:
        if value:
            return value
    return None


def _normalize_space(text: str) -> str:
    return " ".join(text.split())


# --- body --------------------------------------------------------------------------------------------

# Never article text: removed with their whole subtree.
_DROP_TAGS = frozenset(
    "script style noscript template svg math canvas iframe frame frameset object embed video audio source "
    "track picture img map select option optgroup button input textarea label datalist output progress "
    "meter dialog head title meta link base figure figcaption".split()
)
# Page furniture by HTML semantics: removed unless they hold most of the page's paragraph text.
_FURNITURE_TAGS = frozenset("nav aside footer header menu".split())
_FURNITURE_ROLES = frozenset(
    "navigation banner contentinfo complementary menu menubar search toolbar dialog alertdialog tablist".split()
)
_BLOCK_TAGS = frozenset(
    "address article aside blockquote body center dd details dialog dir div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hgroup hr html legend li main menu nav ol p pre section summary "
    "table tbody tfoot thead tr ul caption".split()
)
_HEADING_TAGS = frozenset("h1 h2 h3 h4 h5 h6".split())
_CELL_TAGS = frozenset(("td", "th"))

# Class/id words of non-article blocks, matched against the words of each class name and id
# ("article-comments" -> "article", "comments"; "shareBar" -> "share", "bar").
_NOISE_WORDS = frozenset(
    """
    comment comments commentlist disqus respond reply replies
    share sharing shares sharebar sharetools social socials sociallinks
    related recommended recommendations recirc recirculation trending popular mostpopular mostread
    promo promos promotion newsletter newsletters subscribe subscription signup
    footer sidebar sidebars navbar navigation nav menu breadcrumb breadcrumbs
    caption captions credit credits
    byline author authors bio
    tags tag tagcloud taglist keywords topics
    ad ads advert adverts advertisement advertising adslot adunit sponsor sponsored outbrain taboola
    popup modal overlay cookie cookies consent gdpr banner widget widgets toolbar
    pagination pager print rating ratings
    hidden srOnly visually screenreader skip
    teaser teasers readmore moreon morestories
    """.split()
)
_WORD_SPLIT_RE = re.compile(r"[^a-zA-Z]+|(?<=[a-z])(?=[A-Z])")

_GOOD_MIN_CHARS = 25
_GOOD_MAX_LINK_DENSITY = 0.3
_NOISE_WEIGHT = 0.5
_LIST_MAX_LINK_DENSITY = 0.5
_PROTECT_SHARE = 0.5


def _extract_body(root: lxml.html.HtmlElement, title: str | None) -> list[str]:
    body = root.find("body")
    if body is None:
        body = root
    _drop_tags(body)
    _prune_furniture(body)
    blocks = _linearize(body)
    if not blocks:
        return []
    container = _best_container(blocks)
    return _select_paragraphs(blocks, container, title)


def _drop_tags(body: lxml.html.HtmlElement) -> None:
    doomed = [el for el in body.iter() if not isinstance(el.tag, str) or el.tag in _DROP_TAGS]
    for el in doomed:
        _remove(el)


def _remove(el: lxml.html.HtmlElement) -> None:
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail:
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def _is_noise_by_attributes(el: lxml.html.HtmlElement) -> bool:
    if el.tag in _FURNITURE_TAGS:
        return True
    role = (el.get("role") or "").strip().lower()
    if role in _FURNITURE_ROLES:
        return True
    if el.get("hidden") is not None or (el.get("aria-hidden") or "").lower() == "true":
        return True
    names = (el.get("class") or "") + " " + (el.get("id") or "")
    if not names.strip():
        return False
    return any(word.lower() in _NOISE_WORDS for word in _WORD_SPLIT_RE.split(names) if word)


def _paragraph_chars(el: lxml.html.HtmlElement) -> int:
    return sum(len(p.text_content()) for p in el.iter("p"))


def _prune_furniture(body: lxml.html.HtmlElement) -> None:
    total = _paragraph_chars(body) or 1
    doomed = []
    protected_ancestors: set = set()
    for el in body.iter():
        if el is body or not isinstance(el.tag, str):
            continue
        if not _is_noise_by_attributes(el):
            continue
        # A matching wrapper that holds most of the article ("page-with-sidebar") is not noise.
        if _paragraph_chars(el) >= _PROTECT_SHARE * total:
            protected_ancestors.add(el)
            continue
        doomed.append(el)
    for el in doomed:
        _remove(el)


@dataclass(slots=True)
class _Block:
    text: str
    link_chars: int
    element: lxml.html.HtmlElement
    kind: str  # "h" heading, "li" list item, "p" anything else


def _linearize(body: lxml.html.HtmlElement) -> list[_Block]:
    """Cut the tree into text blocks at block-level tags and <br>, in document order."""
    blocks: list[_Block] = []
    stack: list[lxml.html.HtmlElement] = [body]
    buffer: list[str] = []
    link_chars = 0
    link_depth = 0

    def flush() -> None:
        nonlocal link_chars
        text = _normalize_space("".join(buffer))
        buffer.clear()
        if text:
            owner = stack[-1]
            tag = owner.tag
            kind = "h" if tag in _HEADING_TAGS else "li" if tag in ("li", "dd", "dt") else "p"
            blocks.append(_Block(text, min(link_chars, len(text)), owner, kind))
        link_chars = 0

    def add(text: str | None) -> None:
        nonlocal link_chars
        if text:
            buffer.append(text)
            if link_depth:
                link_chars += len(text.strip())

    for event, el in etree.iterwalk(body, events=("start", "end")):
        tag = el.tag
        if event == "start":
            if tag in _BLOCK_TAGS:
                flush()
                stack.append(el)
            elif tag == "br":
                flush()
            elif tag in _CELL_TAGS:
                buffer.append(" ")
            elif tag == "a":
                link_depth += 1
            if el is not body:
                add(el.text)
        else:
            if tag in _BLOCK_TAGS:
                flush()
                if el is not body:
                    stack.pop()
            elif tag == "a":
                link_depth -= 1
            elif tag in _CELL_TAGS:
                buffer.append(" ")
            if el is not body:
                add(el.tail)
    flush()
    return blocks


def _best_container(blocks: list[_Block]) -> lxml.html.HtmlElement:
    """The element whose good paragraph text most outweighs the noise text inside it."""
    good: dict = {}
    noise: dict = {}
    for block in blocks:
        length = len(block.text)
        is_good = (
            block.kind != "h"
            and length >= _GOOD_MIN_CHARS
            and block.link_chars <= _GOOD_MAX_LINK_DENSITY * length
        )
        gain = length if is_good else 0
        loss = 0 if is_good else length
        el = block.element
        while el is not None:
            good[el] = good.get(el, 0) + gain
            noise[el] = noise.get(el, 0) + loss
            el = el.getparent()
    return max(good, key=lambda el: good[el] - _NOISE_WEIGHT * noise[el])


def _select_paragraphs(
    blocks: list[_Block], container: lxml.html.HtmlElement, title: str | None
) -> list[str]:
    inside = [block for block in blocks if _is_within(block.element, container)]
    kept: list[_Block] = []
    for block in inside:
        if block.link_chars > _LIST_MAX_LINK_DENSITY * len(block.text):
            continue
        if title and block.kind == "h" and block.text.lower() == title.lower():
            continue
        kept.append(block)
    kept = _drop_orphan_headings(kept)
    return [block.text for block in kept]


def _drop_orphan_headings(blocks: list[_Block]) -> list[_Block]:
    """Drop headings followed by no text of their own ("Related stories" over a dropped link list)."""
    result: list[_Block] = []
    for index, block in enumerate(blocks):
        if block.kind == "h":
            following = blocks[index + 1] if index + 1 < len(blocks) else None
            if following is None or following.kind == "h":
                continue
        result.append(block)
    return result


def _is_within(el: lxml.html.HtmlElement, container: lxml.html.HtmlElement) -> bool:
    while el is not None:
        if el is container:
            return True
        el = el.getparent()
    return False
