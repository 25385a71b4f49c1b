"""Find the article in a whole HTML page: its body paragraphs and its metadata.

The page is parsed once with lxml, then:

1. never-text tags (script, style, form controls, media, figure captions) are dropped, and page
   furniture is pruned by HTML semantics (nav, header, footer, ARIA roles, hidden) and by class/id
   words (comment, share, related, promo, newsletter, sidebar, caption, credit, ad ...);
2. the rest is cut into text blocks at block-level tags, each with its link-text share;
3. teaser cards (a linked headline with a short description) are set aside;
4. the article container is the element whose good paragraph text most outweighs the noise text it
   also holds, tightened to the descendant that holds nearly all of that good text;
5. inside it, link-list blocks, the repeated title and headings left with no text are dropped.

Line-level promo residue ("Sign up for ...", "Advertisement") is left to ``transforms.boilerplate``.
Everything walks the tree iteratively, so hostile nesting cannot exhaust Python's stack.
"""

from __future__ import annotations

import codecs
import functools
import html as html_entities
import itertools
import json
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

import lxml.etree as etree
import lxml.html

from transforms.decode import NUL_BYTES_REASON, binary_content_reason, bom_encoding, has_nul_bytes

MAX_HTML_CHARS = 5_000_000
"""Pages longer than this lose their script/style blocks, then their end, before parsing."""


class HtmlExtractionError(ValueError):
    """The page has no usable article text; ``reason`` says why in one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BinaryContentError(HtmlExtractionError):
    """The "page" is binary data (an image or archive named .html), not markup."""


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
    """Extract the article body (one paragraph, heading or list item per entry) and metadata of a page.

    ``html`` may be bytes (decoded by BOM, then mostly-valid UTF-8, then the declared charset, then
    detection) or str. Raises ``HtmlExtractionError`` when the page holds no article text.
    """
    text = _decode(html) if isinstance(html, bytes | bytearray | memoryview) else html
    binary = binary_content_reason(text)
    if binary:
        raise BinaryContentError(binary)
    root = _parse(_sanitize(_bound_size(text)))
    ld = _json_ld_article(root)
    meta = _read_metadata(root, ld)
    paragraphs, had_text = _extract_body(root, meta["title"])
    ld_paragraphs = _json_ld_body(ld)
    # Pages rendered by script can ship the article only in JSON-LD; a truncated JSON-LD teaser must
    # not replace a full DOM body, hence the length comparison.
    if sum(map(len, ld_paragraphs)) * _LD_BODY_MIN_SHARE > sum(map(len, paragraphs)):
        paragraphs = ld_paragraphs
    if not paragraphs:
        if had_text:
            raise HtmlExtractionError("no article text: the page holds only links, navigation or furniture")
        raise HtmlExtractionError("no text in the page")
    return HtmlPage(paragraphs=paragraphs, **meta)


# --- decoding ----------------------------------------------------------------------------------------

_DECLARED_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]+)""", re.IGNORECASE)
_XML_ENCODING_RE = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_.\-]+)""")
# Browsers read these labels as windows-1252 (WHATWG encoding standard), and so do we.
_WINDOWS_1252_LABELS = frozenset(("iso8859-1", "iso-8859-1", "latin-1", "latin1", "l1", "ascii", "us-ascii"))
_ASCII_BYTES = bytes(range(128))
_MAX_BROKEN_UTF8_SHARE = 0.02
_DETECTION_SAMPLE_BYTES = 200_000


def _decode(data: bytes | bytearray | memoryview) -> str:
    data = bytes(data)
    encoding = bom_encoding(data)
    if encoding:
        return data.decode(encoding, errors="replace")
    # An image or archive named .html: without this it decodes to replacement characters and extracts as "text".
    if has_nul_bytes(data):
        raise BinaryContentError(NUL_BYTES_REASON)
    declared = _declared_encoding(data[:8192])
    utf8 = data.decode("utf-8", errors="replace")
    invalid = utf8.count("\ufffd") - data.count("\ufffd".encode())
    if invalid == 0 and declared in (None, "utf-8"):
        return utf8
    high_bytes = len(data.translate(None, _ASCII_BYTES))
    # Multibyte UTF-8 with rare broken sequences (a download cut mid-character) is UTF-8 whatever the
    # page declares: other charsets almost never form valid multibyte sequences by chance.
    if high_bytes and invalid <= _MAX_BROKEN_UTF8_SHARE * high_bytes:
        return utf8
    if declared not in (None, "utf-8"):
        return data.decode(declared, errors="replace")
    return _detect_and_decode(data)


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
    # Markup readable as ASCII bytes cannot really be UTF-16/32: such a declaration is wrong.
    return None if name.startswith(("utf-16", "utf-32")) else name


def _detect_and_decode(data: bytes) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(data[:_DETECTION_SAMPLE_BYTES]).best()
    encoding = best.encoding if best is not None else "cp1252"
    try:
        return data.decode(encoding, errors="replace")
    except LookupError:
        return data.decode("cp1252", errors="replace")


# --- parsing -----------------------------------------------------------------------------------------

_XML_DECLARATION_RE = re.compile(r"^\s*<\?xml[^>]*>")
_CONTROL_CHARS_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufeff]+")
_RAW_BLOCK_OPEN_RE = re.compile(r"<(script|style|svg|noscript|template)\b", re.IGNORECASE)
_RAW_BLOCK_CLOSE_RES = {
    tag: re.compile(rf"</{tag}\s*>", re.IGNORECASE)
    for tag in ("script", "style", "svg", "noscript", "template")
}
# Tags that keep paragraph boundaries when a too-deep page is flattened; every other tag is dropped.
_FLAT_KEEP_TAGS = frozenset(
    [
        "p",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "br",
        "title",
        "meta",
        "link",
        "html",
        "head",
        "body",
        "pre",
    ]
)
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>")
_ANY_TAG_RE = re.compile(r"<[^>]*>")


def _bound_size(text: str) -> str:
    """Keep the tree's memory bounded: drop raw script/style blocks, then cut what is still too long."""
    if len(text) <= MAX_HTML_CHARS:
        return text
    return _strip_raw_blocks(text)[:MAX_HTML_CHARS]


def _sanitize(text: str) -> str:
    # lxml refuses str input with an encoding declaration; NUL and control characters become garbage.
    text = _XML_DECLARATION_RE.sub("", text, count=1)
    return _CONTROL_CHARS_RE.sub(" ", text)


def _strip_raw_blocks(text: str) -> str:
    # One forward scan (no backtracking regex): many unclosed "<script" must not make it quadratic.
    pieces = []
    pos = 0
    while (opening := _RAW_BLOCK_OPEN_RE.search(text, pos)) is not None:
        pieces.append(text[pos : opening.start()])
        closing = _RAW_BLOCK_CLOSE_RES[opening.group(1).lower()].search(text, opening.end())
        if closing is None:
            return "".join(pieces)
        pos = closing.end()
    pieces.append(text[pos:])
    return "".join(pieces)


def _parse(text: str) -> lxml.html.HtmlElement:
    """Parse with lxml; a page nested past libxml2's depth limit is re-parsed flattened, then as plain text."""
    if not text.strip():
        raise HtmlExtractionError("empty document")
    for make_attempt in (str, _flatten, _plain_text_document):
        # One parser per call: lxml parsers are not thread-safe, and the error log is per parser.
        parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
        try:
            root = lxml.html.document_fromstring(make_attempt(text), parser=parser)
        except (etree.LxmlError, ValueError) as error:
            raise HtmlExtractionError(f"unparseable document: {error}") from error
        # libxml2 stops the whole parse at depth 256 ("Excessive depth"): what follows would be lost.
        if not any("Excessive depth" in entry.message for entry in parser.error_log):
            return root
    raise HtmlExtractionError("document nesting too deep to parse")


def _flatten(text: str) -> str:
    def keep_paragraph_tags(match: re.Match[str]) -> str:
        return match.group(0) if match.group(2).lower() in _FLAT_KEEP_TAGS else " "

    return _TAG_RE.sub(keep_paragraph_tags, _strip_raw_blocks(text))


def _plain_text_document(text: str) -> str:
    stripped = html_entities.unescape(_ANY_TAG_RE.sub(" ", _strip_raw_blocks(text)))
    return "<html><body><pre>" + html_entities.escape(stripped, quote=False) + "</pre></body></html>"


# --- metadata ----------------------------------------------------------------------------------------

_MAX_JSON_LD_CHARS = 1_000_000
_MAX_JSON_LD_NODES = 1_000
_ARTICLE_TYPES = frozenset(
    [
        "article",
        "newsarticle",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "reviewnewsarticle",
        "backgroundnewsarticle",
        "askpublicnewsarticle",
        "blogposting",
        "liveblogposting",
        "socialmediaposting",
        "techarticle",
        "scholarlyarticle",
        "report",
    ]
)
_PUBLISHED_META_KEYS = (
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
_TRAILING_SEPARATOR_RE = re.compile(r"\s*[|\-–—:·•»]\s*$")
_LANGUAGE_RE = re.compile(r"^([a-zA-Z]{2})(?:$|[-_])")
_BY_PREFIX_RE = re.compile(r"^by\s+", re.IGNORECASE)


def _read_metadata(root: lxml.html.HtmlElement, ld: dict) -> dict[str, str | None]:
    metas = _meta_values(root)
    outlet = _first(_non_url(metas.get("og:site_name")), _ld_name(ld.get("publisher")))
    # ``or`` chains, not _first(): the page-walking fallbacks run only when the metadata has no answer.
    byline = _ld_name(ld.get("author")) or _non_url(metas.get("author")) or _byline_element(root)
    if byline:
        byline = _BY_PREFIX_RE.sub("", byline) or None
    return {
        "title": _read_title(root, metas, ld, outlet),
        "published_raw": _first(
            metas.get("article:published_time"),
            _ld_text(ld.get("datePublished")),
            *(metas.get(key) for key in _PUBLISHED_META_KEYS),
        )
        or _time_datetime(root),
        "byline": byline,
        "outlet": outlet,
        "language": _read_language(root, metas, ld),
        "url": _read_url(root, metas),
    }


_BYLINE_XPATH = (
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' byline ') or @itemprop='author' or @rel='author'"
    " or contains(concat(' ', normalize-space(@class), ' '), ' author-name ')]"
)
_MAX_BYLINE_WORDS = 12


def _byline_element(root: lxml.html.HtmlElement) -> str | None:
    """The text of the page's byline element ("By Jane Doe"), when no metadata names the author."""
    for element in root.xpath(_BYLINE_XPATH)[:5]:
        text = " ".join(element.text_content().split())
        if text and len(text.split()) <= _MAX_BYLINE_WORDS:
            return text
    return None


def _meta_values(root: lxml.html.HtmlElement) -> dict[str, str]:
    values: dict[str, str] = {}
    for meta in root.iter("meta"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop") or meta.get("http-equiv")
        content = meta.get("content")
        if key and content and content.strip():
            values.setdefault(key.strip().lower(), _normalize_space(content))
    return values


def _json_ld_article(root: lxml.html.HtmlElement) -> dict:
    """The first JSON-LD object typed as an article (else the first with a headline); {} when none."""
    fallback: dict = {}
    for script in root.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        raw = script.text or ""
        if len(raw) > _MAX_JSON_LD_CHARS:
            continue
        try:
            data = json.loads(raw, strict=False)
        except (ValueError, RecursionError):
            continue
        for node in _json_ld_nodes(data):
            types = node.get("@type")
            types = types if isinstance(types, list) else [types]
            if any(isinstance(kind, str) and kind.lower() in _ARTICLE_TYPES for kind in types):
                return node
            if not fallback and "headline" in node:
                fallback = node
    return fallback


def _json_ld_nodes(data: object) -> Iterator[dict]:
    # Breadth-first and bounded: JSON-LD on hostile pages may be huge or nest arbitrarily.
    queue = deque([data])
    seen = 0
    while queue and seen < _MAX_JSON_LD_NODES:
        item = queue.popleft()
        seen += 1
        if isinstance(item, list):
            queue.extend(item[:_MAX_JSON_LD_NODES])
        elif isinstance(item, dict):
            yield item
            for key in ("@graph", "mainEntity"):
                if isinstance(item.get(key), list | dict):
                    queue.append(item[key])


def _json_ld_body(ld: dict) -> list[str]:
    raw = ld.get("articleBody")
    if not isinstance(raw, str) or not raw.strip():
        return []
    if "<" in raw:
        try:
            fragment = lxml.html.fragment_fromstring(_sanitize(raw), create_parent="div")
        except (etree.LxmlError, ValueError):
            return []
        _drop_tags(fragment)
        return [block.text for block in _linearize(fragment)]
    return [line for line in map(_normalize_space, html_entities.unescape(raw).splitlines()) if line]


def _ld_text(value: object) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        # CMS plugins often write HTML entities ("&#8217;") into JSON-LD strings.
        return _normalize_space(html_entities.unescape(str(value))) or None
    return None


def _ld_name(value: object) -> str | None:
    """Name(s) from a JSON-LD person/organization value: a string, an object with "name", or a list."""
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items[:20]:
        text = _ld_text(item.get("name") if isinstance(item, dict) else item)
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
        return _strip_site_suffix(_normalize_space(title.text_content()), outlet, always=True) or None
    return None


def _strip_site_suffix(title: str, outlet: str | None, always: bool) -> str:
    """Drop a trailing " | Site" / " - Site": always when it is the outlet, else only if ``always``
    and the suffix is short next to the headline."""
    parts = _TITLE_SEPARATOR_RE.split(title)
    if len(parts) < 2:
        return title
    suffix = parts[-1].strip()
    head = _TRAILING_SEPARATOR_RE.sub("", title[: title.rfind(parts[-1])].rstrip())
    if not head:
        return title
    if outlet and suffix.lower() == outlet.lower():
        return head
    if always and len(suffix.split()) <= 5 and len(head) >= len(suffix):
        return head
    return title


def _time_datetime(root: lxml.html.HtmlElement) -> str | None:
    # A <time> marked as the publication date, else the first one inside <article>, else the first one.
    times = [el for el in root.iter("time") if (el.get("datetime") or "").strip()]
    if not times:
        return None
    # Tested one preference at a time: the ancestor walk of the second is needed only when no <time> is marked.
    for prefers in (
        lambda el: el.get("itemprop") == "datePublished" or el.get("pubdate") is not None,
        lambda el: any(ancestor.tag == "article" for ancestor in el.iterancestors()),
    ):
        for element in times:
            if prefers(element):
                return element.get("datetime").strip()
    return times[0].get("datetime").strip()


def _read_language(root: lxml.html.HtmlElement, metas: dict[str, str], ld: dict) -> str | None:
    for raw in (
        root.get("lang"),
        root.get("xml:lang"),
        metas.get("og:locale"),
        metas.get("content-language"),
        metas.get("language"),
        _ld_text(ld.get("inLanguage")),
    ):
        match = _LANGUAGE_RE.match((raw or "").strip())
        if match:
            return match.group(1).lower()
    return None


def _read_url(root: lxml.html.HtmlElement, metas: dict[str, str]) -> str | None:
    for link in root.iter("link"):
        href = link.get("href")
        if "canonical" in (link.get("rel") or "").lower().split() and _looks_like_url(href):
            return href.strip()
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


# --- body: pruning -----------------------------------------------------------------------------------

# Never article text: removed with their whole subtree (the tail text after them stays). <figure> is
# not among them: CMSs wrap tables, pull quotes and embedded posts in it; its caption goes.
_DROP_TAGS = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "math",
        "canvas",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "video",
        "audio",
        "source",
        "track",
        "picture",
        "img",
        "map",
        "select",
        "option",
        "optgroup",
        "button",
        "input",
        "textarea",
        "label",
        "datalist",
        "output",
        "progress",
        "meter",
        "dialog",
        "title",
        "meta",
        "link",
        "base",
        "figcaption",
    ]
)
# Page furniture by HTML semantics. <aside> is not among them: inside an article it is mostly a pull
# quote, and link-heavy asides fall to the link-density and teaser rules anyway.
_FURNITURE_TAGS = frozenset(["nav", "footer", "header", "menu"])
_FURNITURE_ROLES = frozenset(
    [
        "navigation",
        "banner",
        "contentinfo",
        "complementary",
        "menu",
        "menubar",
        "search",
        "toolbar",
        "dialog",
        "alertdialog",
        "tablist",
    ]
)
# Class/id words of non-article blocks, comment threads apart. Class names and ids are cut into lower-case words at
# punctuation and camelCase humps, and adjacent pairs are joined too, so "article-comments" yields
# "comments" and "shareBar", "share-bar" and "sharebar" all yield "sharebar".
_COMMENT_WORDS = frozenset(["comment", "comments", "commentlist", "disqus", "respond", "reply", "replies"])
_NOISE_WORDS = frozenset(
    [
        "share",
        "sharing",
        "shares",
        "sharebar",
        "sharetools",
        "sharelinks",
        "related",
        "recommended",
        "recommendations",
        "recirc",
        "recirculation",
        "trending",
        "popular",
        "mostpopular",
        "mostread",
        "alsoread",
        "seealso",
        "readmore",
        "morestories",
        "moreon",
        "teaser",
        "teasers",
        "excerpt",
        "promo",
        "promos",
        "promotion",
        "newsletter",
        "newsletters",
        "subscribe",
        "subscription",
        "signup",
        "paywall",
        "login",
        "footer",
        "sidebar",
        "sidebars",
        "rail",
        "rightrail",
        "leftrail",
        "navbar",
        "navigation",
        "nav",
        "menu",
        "breadcrumb",
        "breadcrumbs",
        "caption",
        "captions",
        "credit",
        "credits",
        "byline",
        "author",
        "authors",
        "bio",
        "tags",
        "tag",
        "tagcloud",
        "taglist",
        "keywords",
        "topics",
        "ad",
        "ads",
        "advert",
        "adverts",
        "advertisement",
        "advertising",
        "adslot",
        "adunit",
        "sponsor",
        "sponsored",
        "outbrain",
        "taboola",
        "zergnet",
        "popup",
        "modal",
        "overlay",
        "cookie",
        "cookies",
        "consent",
        "gdpr",
        "banner",
        "widget",
        "widgets",
        "toolbar",
        "print",
        "noprint",
        "rating",
        "ratings",
        "sronly",
        "visuallyhidden",
        "screenreader",
        "skiplink",
    ]
)
_WORD_SPLIT_RE = re.compile(r"[^a-zA-Z]+|(?<=[a-z])(?=[A-Z])")
# CMS classes that spell a post's tags and categories ("tag-social-media", "category-ads") name its
# subjects, not its parts.
_SLUG_CLASS_PREFIXES = ("tag-", "category-")
# Kinds of furniture match: by tag, role or hidden flag; by a class/id word; by a comment word.
_SEMANTIC = "semantic"
_NAMED = "named"
_COMMENTS = "comments"
# A match holding this share of the page's <p> text or of its non-link text wraps the article.
_WRAPPER_MIN_TEXT_SHARE = 0.5


def _drop_tags(root: lxml.html.HtmlElement) -> None:
    doomed = [el for el in root.iter() if not isinstance(el.tag, str) or el.tag in _DROP_TAGS]
    for el in doomed:
        _remove(el)


def _remove(el: lxml.html.HtmlElement) -> None:
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def _prune_furniture(root: lxml.html.HtmlElement) -> None:
    """Remove furniture subtrees, sparing the ones that turn out to wrap the article.

    Class words are fuzzy ("content-with-sidebar" wraps the article), so a match is kept when it holds
    half of the page's text or, for class/id matches, the headline. A comment thread is never kept for
    its size, since on a busy blog it outweighs the post.
    """
    total_plain = _plain_chars(root) or 1
    total_paragraph = _paragraph_chars(root) or 1
    doomed = []
    walker = etree.iterwalk(root, events=("start",))
    for _event, el in walker:
        if el is root or el.tag == "body":
            continue
        kind = _furniture_kind(el)
        if kind is None or (kind != _SEMANTIC and el.find(".//h1") is not None):
            continue
        if kind != _COMMENTS and (
            _paragraph_chars(el) >= _WRAPPER_MIN_TEXT_SHARE * total_paragraph
            or _plain_chars(el) >= _WRAPPER_MIN_TEXT_SHARE * total_plain
        ):
            continue
        doomed.append(el)
        walker.skip_subtree()
    for el in doomed:
        _remove(el)


def _plain_chars(el: lxml.html.HtmlElement) -> int:
    """Length of the text outside links: menus and link lists must not look like the article."""
    return len(el.text_content()) - sum(len(link.text_content()) for link in el.iter("a"))


def _paragraph_chars(el: lxml.html.HtmlElement) -> int:
    return sum(len(paragraph.text_content()) for paragraph in el.iter("p"))


def _furniture_kind(el: lxml.html.HtmlElement) -> str | None:
    if el.tag in _FURNITURE_TAGS or (el.get("role") or "").strip().lower() in _FURNITURE_ROLES:
        return _SEMANTIC
    if el.get("hidden") is not None or (el.get("aria-hidden") or "").strip().lower() == "true":
        return _SEMANTIC
    names = (el.get("class") or "") + " " + (el.get("id") or "")
    return _noise_kind(names) if names.strip() else None


@functools.lru_cache(maxsize=8192)
def _noise_kind(names: str) -> str | None:
    for name in names.split():
        if name.lower().startswith(_SLUG_CLASS_PREFIXES):
            continue
        words = [word.lower() for word in _WORD_SPLIT_RE.split(name) if word]
        for word in words + [first + second for first, second in itertools.pairwise(words)]:
            if word in _COMMENT_WORDS:
                return _COMMENTS
            if word in _NOISE_WORDS:
                return _NAMED
    return None


# --- body: blocks ------------------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "center",
        "dd",
        "details",
        "dialog",
        "dir",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "html",
        "legend",
        "li",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "tr",
        "ul",
        "caption",
    ]
)
_HEADING_TAGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])
_ITEM_TAGS = frozenset(("li", "dd", "dt"))
_CELL_TAGS = frozenset(("td", "th"))


@dataclass(slots=True)
class _Block:
    text: str
    link_chars: int
    element: lxml.html.HtmlElement
    kind: str  # "h" heading, "li" list item, "p" anything else
    level: int  # heading rank 1-6, 0 for other blocks
    teaser: bool = False


def _linearize(root: lxml.html.HtmlElement) -> list[_Block]:
    """Cut the tree into text blocks at block-level tags, <br> and <pre> line ends, in document order."""
    blocks: list[_Block] = []
    owners: list[lxml.html.HtmlElement] = [root]
    buffer: list[str] = []
    link_chars = 0
    link_depth = 0
    pre_depth = 0

    def flush() -> None:
        nonlocal link_chars
        text = _normalize_space("".join(buffer))
        buffer.clear()
        if text:
            owner = owners[-1]
            level = int(owner.tag[1]) if owner.tag in _HEADING_TAGS else 0
            kind = "h" if level else "li" if owner.tag in _ITEM_TAGS else "p"
            blocks.append(_Block(text, min(link_chars, len(text)), owner, kind, level))
        link_chars = 0

    def add(text: str | None) -> None:
        nonlocal link_chars
        if not text:
            return
        if pre_depth and "\n" in text:
            *lines, text = text.split("\n")
            for line in lines:
                buffer.append(line)
                flush()
        buffer.append(text)
        if link_depth:
            link_chars += len(text.strip())

    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = el.tag
        if event == "start":
            if tag in _BLOCK_TAGS:
                flush()
                owners.append(el)
                pre_depth += tag == "pre"
            elif tag == "br":
                flush()
            elif tag in _CELL_TAGS:
                buffer.append(" ")
            elif tag == "a":
                link_depth += 1
            add(el.text)
        else:
            if tag in _BLOCK_TAGS:
                flush()
                owners.pop()
                pre_depth -= tag == "pre"
            elif tag == "a":
                link_depth -= 1
            elif tag in _CELL_TAGS:
                buffer.append(" ")
            if el is not root:
                add(el.tail)
    flush()
    return blocks


# --- body: the article container ---------------------------------------------------------------------

# A good block reads like prose: long enough, mostly not link text, not a heading.
_GOOD_MIN_CHARS = 25
_GOOD_MAX_LINK_DENSITY = 0.3
# Container score = good chars - weight * other chars.
_NOISE_WEIGHT = 0.5
# The container is tightened to a descendant holding this share of the best element's good text.
_DESCEND_SHARE = 0.85
# A linked headline: a block of two or more words, nearly all link text.
_TITLE_LINK_DENSITY = 0.8
# A teaser card holds at most this much plain text and this share of the page's good text.
_TEASER_MAX_PLAIN_CHARS = 600
_TEASER_MAX_GOOD_SHARE = 0.2
# Inside the container, blocks with more link text than this are link lists or "Read more" lines.
_KEEP_MAX_LINK_DENSITY = 0.5
# JSON-LD articleBody replaces the DOM body when the DOM body is shorter than this share of it.
_LD_BODY_MIN_SHARE = 0.5


def _extract_body(root: lxml.html.HtmlElement, title: str | None) -> tuple[list[str], bool]:
    """The article paragraphs, and whether the page had any text outside never-text tags."""
    # The whole tree, not just <body>: broken markup can leave article text in <head> after parsing.
    _drop_tags(root)
    had_text = bool(_normalize_space(root.text_content()))
    _prune_furniture(root)
    blocks = _linearize(root)
    if not blocks:
        return [], had_text
    _mark_teasers(blocks)
    container = _best_container(blocks)
    return _select_paragraphs(blocks, container, title), had_text


def _is_good(block: _Block) -> bool:
    length = len(block.text)
    return (
        block.kind != "h"
        and length >= _GOOD_MIN_CHARS
        and block.link_chars <= _GOOD_MAX_LINK_DENSITY * length
    )


def _is_title_link(block: _Block) -> bool:
    return block.link_chars >= _TITLE_LINK_DENSITY * len(block.text) and " " in block.text


def _mark_teasers(blocks: list[_Block]) -> None:
    """Mark blocks inside teaser cards: a linked headline with a little text around it.

    A card is the largest ancestor of a linked headline that holds no other linked headline, at most a
    short description of plain text, and a small share of the page's good text; article paragraphs are
    never inside one, since climbing stops below the element that also holds them.
    """
    titles: dict = {}
    plain: dict = {}
    good: dict = {}
    total_good = 0
    for block in blocks:
        is_title = _is_title_link(block)
        plain_chars = len(block.text) - block.link_chars
        good_chars = len(block.text) if _is_good(block) else 0
        total_good += good_chars
        for el in _self_and_ancestors(block.element):
            titles[el] = titles.get(el, 0) + is_title
            plain[el] = plain.get(el, 0) + plain_chars
            good[el] = good.get(el, 0) + good_chars
    max_card_good = _TEASER_MAX_GOOD_SHARE * total_good
    cards = set()
    for block in blocks:
        if not _is_title_link(block):
            continue
        card = block.element
        parent = card.getparent()
        while (
            parent is not None
            and titles[parent] == 1
            and plain[parent] <= _TEASER_MAX_PLAIN_CHARS
            and good[parent] <= max_card_good
        ):
            card = parent
            parent = card.getparent()
        if card is not block.element:
            cards.add(card)
    if cards:
        for block in blocks:
            block.teaser = any(el in cards for el in _self_and_ancestors(block.element))


def _best_container(blocks: list[_Block]) -> lxml.html.HtmlElement:
    """The element whose good paragraph text most outweighs the other text inside it, tightened."""
    good: dict = {}
    noise: dict = {}
    for block in blocks:
        if block.teaser:
            continue
        gain = len(block.text) if _is_good(block) else 0
        loss = len(block.text) - gain
        for el in _self_and_ancestors(block.element):
            good[el] = good.get(el, 0) + gain
            noise[el] = noise.get(el, 0) + loss
    if not good:
        return blocks[0].element.getroottree().getroot()
    best = max(good, key=lambda el: good[el] - _NOISE_WEIGHT * noise[el])
    # Stray short prose around the article (disclaimers, help text) can tip the balance to a far
    # ancestor; the descendant holding nearly all of its good text is the tighter article container.
    floor = _DESCEND_SHARE * good[best]
    while (inner := next((child for child in best if good.get(child, 0) >= floor), None)) is not None:
        best = inner
    return best


def _select_paragraphs(
    blocks: list[_Block], container: lxml.html.HtmlElement, title: str | None
) -> list[str]:
    folded_title = title.casefold() if title else None
    kept = [
        block
        for block in blocks
        if not block.teaser
        and block.link_chars <= _KEEP_MAX_LINK_DENSITY * len(block.text)
        and block.text.casefold() != folded_title
        and any(el is container for el in _self_and_ancestors(block.element))
    ]
    return [block.text for block in _drop_orphan_headings(kept)]


def _drop_orphan_headings(blocks: list[_Block]) -> list[_Block]:
    """Drop headings with no text of their own ("Related stories" over a dropped link list).

    A heading owns the blocks up to the next heading of the same or a higher rank.
    """
    kept: list[_Block] = []
    for block in reversed(blocks):
        following = kept[-1] if kept else None
        if block.level and (following is None or 0 < following.level <= block.level):
            continue
        kept.append(block)
    kept.reverse()
    return kept


def _self_and_ancestors(el: lxml.html.HtmlElement) -> Iterator[lxml.html.HtmlElement]:
    yield el
    yield from el.iterancestors()
