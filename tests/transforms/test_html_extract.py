"""The HTML main-content stage: article body, drop families, metadata, hostile pages, the dev set."""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path

import pytest

from transforms.html_eval import evaluate_html_dir, newsetl_body
from transforms.html_extract import MAX_HTML_CHARS, HtmlExtractionError, HtmlPage, extract_html

BENCHMARK = Path(__file__).resolve().parents[2].parent / "shared" / "extraction-benchmark"

ARTICLE = [
    "The city council voted on Tuesday to approve a new budget for public transport, ending months of debate.",
    "Supporters said the plan would add bus routes in the outer districts and cut waiting times at rush hour.",
    "Critics argued that the cost, estimated at forty million euros, would fall on residents through fares.",
    "The mayor said the first new routes would open in the spring, with the rest following over two years.",
]


def _page(body: str, head: str = "", html_attrs: str = "") -> str:
    return f"<!DOCTYPE html><html{html_attrs}><head>{head}</head><body>{body}</body></html>"


def _article(extra_inside: str = "", paragraphs: list[str] = ARTICLE) -> str:
    ps = "".join(f"<p>{text}</p>" for text in paragraphs)
    return f'<article><div class="story-body">{ps}{extra_inside}</div></article>'


def _site_chrome() -> str:
    links = "".join(f'<li><a href="/s{i}">Section {i}</a></li>' for i in range(8))
    return f'<nav class="main-nav"><ul>{links}</ul></nav>'


def _body_text(html: str | bytes) -> str:
    return "\n".join(extract_html(html).paragraphs)


# --- the article body --------------------------------------------------------------------------------


def test_returns_one_paragraph_per_entry_in_order():
    page = extract_html(_page(_site_chrome() + _article()))
    assert page.paragraphs == ARTICLE


def test_keeps_in_article_headings_and_list_items():
    extra = (
        "<h2>What changes for riders</h2>"
        "<p>Riders will see the changes in three steps, starting with the night buses next month.</p>"
        "<ul><li>More night buses on weekends</li><li>A single ticket for bus and tram</li></ul>"
    )
    paragraphs = extract_html(_page(_article(extra))).paragraphs
    assert "What changes for riders" in paragraphs
    assert "More night buses on weekends" in paragraphs
    assert "A single ticket for bus and tram" in paragraphs
    assert paragraphs.index("What changes for riders") < paragraphs.index("More night buses on weekends")


def test_normalizes_whitespace_and_splits_paragraphs_at_br():
    html = _page(
        "<div><p>  First   line\n of the  story, long enough to count as real article prose here. <br><br>"
        "Second line of the story, also long enough to count as real prose.</p></div>"
    )
    assert extract_html(html).paragraphs == [
        "First line of the story, long enough to count as real article prose here.",
        "Second line of the story, also long enough to count as real prose.",
    ]


def test_keeps_text_of_inline_links_inside_paragraphs():
    html = _page(
        _article(paragraphs=[*ARTICLE[:3], 'The mayor <a href="/m">said</a> the routes would open soon.'])
    )
    assert extract_html(html).paragraphs[-1] == "The mayor said the routes would open soon."


def test_keeps_tables_and_quotes_wrapped_in_figure_but_not_their_caption():
    extra = (
        "<figure><blockquote><p>We will not raise fares this year, the mayor told reporters.</p></blockquote>"
        "<figcaption>CAPTION the mayor</figcaption></figure>"
        "<figure><table><tr><td>Route 12</td><td>every 10 minutes</td></tr></table></figure>"
    )
    paragraphs = extract_html(_page(_article(extra))).paragraphs
    assert "We will not raise fares this year, the mayor told reporters." in paragraphs
    assert "Route 12 every 10 minutes" in paragraphs
    assert not any("CAPTION" in paragraph for paragraph in paragraphs)


def test_drops_the_repeated_title_heading():
    html = _page(
        "<article><h1>Council approves transport budget</h1>" + _article() + "</article>",
        head='<meta property="og:title" content="Council approves transport budget">',
    )
    assert extract_html(html).paragraphs == ARTICLE


def test_script_and_style_never_appear_in_output():
    extra = "<script>document.write('SCRIPTTEXT')</script><style>.x{color:red} STYLETEXT</style>"
    extra += "<noscript>NOSCRIPTTEXT enable javascript</noscript>"
    text = _body_text(_page(_article(extra)))
    assert "SCRIPTTEXT" not in text
    assert "STYLETEXT" not in text
    assert "NOSCRIPTTEXT" not in text
    assert ARTICLE[-1] in text


# --- drop families -----------------------------------------------------------------------------------

DROP_CASES = {
    "comment thread": (
        '<section id="comments" class="comments-area"><h3>3 comments</h3>'
        '<div class="comment"><p>COMMENT I think this budget is a terrible idea and will cost us all a lot.</p></div>'
        '<div class="comment"><p>COMMENT Finally some good news for people who ride the bus every day.</p></div>'
        "</section>"
    ),
    "related links list": (
        '<div class="related-stories"><h3>Related</h3><ul>'
        '<li><a href="/a">RELATED Tram line extension delayed again by one year</a></li>'
        '<li><a href="/b">RELATED Fares to rise in January for most passengers</a></li></ul></div>'
    ),
    "plain link list without class": (
        '<ul><li><a href="/a">LINKLIST Tram line extension delayed again by a year</a></li>'
        '<li><a href="/b">LINKLIST Fares to rise in January for most passengers</a></li></ul>'
    ),
    "teaser cards": "".join(
        f'<div class="card"><h3><a href="/t{i}">TEASER headline number {i} about other news</a></h3>'
        f"<p>TEASER A short description of another story that the site wants you to read next {i}.</p></div>"
        for i in range(4)
    ),
    "share bar": (
        '<div class="share-bar"><span>SHARE this article on your favourite network</span>'
        '<a href="#">Facebook</a><a href="#">Twitter</a></div>'
    ),
    "navigation": _site_chrome().replace("Section", "NAVLINK"),
    "table of links": (
        '<table><tr><td><a href="/1">LINKTABLE First linked cell of the table</a></td>'
        '<td><a href="/2">LINKTABLE Second linked cell of the table</a></td></tr></table>'
    ),
    "figure caption and credit": (
        '<figure><img src="bus.jpg"><figcaption>CAPTION A bus waits at the central station on Monday. '
        "Photo: Jane Doe</figcaption></figure>"
    ),
    "caption and credit by class": (
        '<div class="image-caption">CAPTION A bus waits at the central station in the early morning fog.</div>'
        '<span class="photo-credit">CAPTION Photograph by Jane Doe for the newspaper</span>'
    ),
    "newsletter box": (
        '<div class="newsletter-signup"><p>NEWSLETTER Get the best stories of the week delivered to your '
        "inbox every Friday morning, free of charge.</p></div>"
    ),
    "promo box": (
        '<div class="promo"><p>PROMO Subscribe today and get three months of unlimited access for one euro.</p></div>'
    ),
    "sidebar": (
        '<div class="sidebar"><p>SIDEBAR The most read stories of the day are listed in this box for readers.</p></div>'
    ),
    "footer": (
        "<footer><p>FOOTER Copyright 2024 The Daily Example. All rights reserved in every country of the world.</p>"
        "</footer>"
    ),
    "hidden element": "<div hidden><p>HIDDEN This text is never shown to a reader of the page at all.</p></div>",
    "advert slot": '<div class="ad-slot"><p>ADVERT Buy the new phone now with a discount of twenty percent.</p></div>',
}


@pytest.mark.parametrize("family", list(DROP_CASES))
def test_drops_non_article_block_inside_the_article(family):
    html = _page(_site_chrome() + _article(DROP_CASES[family]))
    paragraphs = extract_html(html).paragraphs
    text = "\n".join(paragraphs)
    assert ARTICLE[0] in text and ARTICLE[-1] in text
    for marker in ("COMMENT", "RELATED", "LINKLIST", "TEASER", "SHARE", "NAVLINK", "LINKTABLE", "CAPTION"):
        assert marker not in text, family
    for marker in ("NEWSLETTER", "PROMO", "SIDEBAR", "FOOTER", "HIDDEN", "ADVERT"):
        assert marker not in text, family


def test_drops_heading_left_without_text():
    extra = '<h2>More from the city desk</h2><ul><li><a href="/x">A linked headline of another story</a></li></ul>'
    paragraphs = extract_html(_page(_article(extra))).paragraphs
    assert "More from the city desk" not in paragraphs


def test_picks_the_article_over_a_longer_teaser_grid():
    grid = "".join(
        f'<li class="item"><div class="info"><h5><a href="/t{i}">Another story headline number {i}</a></h5>'
        f'<div class="desc">This is the description of teaser {i}: a sentence or two long, written to make the '
        f"reader click through to another article on the same website.</div></div></li>"
        for i in range(12)
    )
    html = _page(_site_chrome() + _article() + f'<div class="more"><h2>More news</h2><ul>{grid}</ul></div>')
    assert extract_html(html).paragraphs == ARTICLE


def test_stray_prose_around_the_article_is_left_out():
    html = _page(_article() + "<div><p>Terms apply to all offers on this site.</p></div>")
    assert extract_html(html).paragraphs == ARTICLE


def test_keeps_a_short_article_with_a_single_link_line():
    html = _page(
        '<div class="story"><p><a href="/results">CLICK FOR FULL RESULTS</a></p>'
        "<p>Summary: the local team won two events at the state finals on Saturday afternoon.</p></div>"
    )
    assert "Summary: the local team won two events at the state finals on Saturday afternoon." in (
        extract_html(html).paragraphs
    )


def test_wrapper_with_a_noise_word_holding_the_article_is_kept():
    html = _page(f'<div class="page has-sidebar">{_article()}</div>')
    assert extract_html(html).paragraphs == ARTICLE


def test_cms_tag_and_category_classes_do_not_make_the_article_furniture():
    comments = "".join(f'<p class="comment">{text} I agree.</p>' for text in ARTICLE * 2)
    html = _page(
        f'<div class="post tag-social-media category-ads">{_article()}</div><div id="comments">{comments}</div>'
    )
    assert extract_html(html).paragraphs == ARTICLE


def test_wrapper_of_div_paragraphs_with_a_noise_word_is_kept():
    divs = "".join(f"<div>{text}</div>" for text in ARTICLE)
    html = _page(_site_chrome() + f'<div class="content-with-sidebar">{divs}</div>')
    assert extract_html(html).paragraphs == ARTICLE


def test_comment_thread_longer_than_the_article_is_dropped():
    comments = "".join(
        f'<li class="comment"><a href="/u{i}">user{i}</a><p>I have been riding these buses for twenty years '
        f"and I can tell you that nothing will change until the council listens to riders, number {i}.</p></li>"
        for i in range(30)
    )
    html = _page(_article() + f'<section id="comments"><ol class="comment-list">{comments}</ol></section>')
    assert extract_html(html).paragraphs == ARTICLE


def test_wrapper_named_after_comments_around_the_headline_is_kept():
    html = _page(f'<div class="post has-comments"><h1>Budget approved</h1>{_article()}</div>')
    assert extract_html(html).paragraphs == ARTICLE


def test_falls_back_to_json_ld_article_body_when_the_dom_has_none():
    ld = {"@type": "NewsArticle", "headline": "Budget", "articleBody": "\n".join(ARTICLE)}
    head = f'<script type="application/ld+json">{json.dumps(ld)}</script>'
    html = _page('<div id="app">Loading</div>', head=head)
    assert extract_html(html).paragraphs == ARTICLE


def test_prefers_the_dom_body_over_a_truncated_json_ld_body():
    ld = {"@type": "NewsArticle", "articleBody": ARTICLE[0][:40]}
    head = f'<script type="application/ld+json">{json.dumps(ld)}</script>'
    assert extract_html(_page(_article(), head=head)).paragraphs == ARTICLE


# --- metadata ----------------------------------------------------------------------------------------


def test_metadata_from_open_graph_and_links():
    head = (
        '<meta property="og:title" content="Council approves budget | The Daily Example">'
        '<meta property="og:site_name" content="The Daily Example">'
        '<meta property="article:published_time" content="2024-03-05T10:00:00+01:00">'
        '<meta name="author" content="Jane Doe">'
        '<link rel="canonical" href="https://example.com/news/budget">'
        '<meta property="og:url" content="https://example.com/other">'
    )
    page = extract_html(_page(_article(), head=head, html_attrs=' lang="en-GB"'))
    assert page == HtmlPage(
        paragraphs=ARTICLE,
        title="Council approves budget",
        published_raw="2024-03-05T10:00:00+01:00",
        byline="Jane Doe",
        outlet="The Daily Example",
        language="en",
        url="https://example.com/news/budget",
    )


def test_metadata_from_json_ld_graph():
    ld = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebPage", "name": "page"},
            {
                "@type": ["NewsArticle"],
                "headline": "Council approves budget",
                "datePublished": "2024-03-05",
                "author": [{"@type": "Person", "name": "Jane Doe"}, {"@type": "Person", "name": "John Roe"}],
                "publisher": {"@type": "Organization", "name": "The Daily Example"},
                "inLanguage": "de-DE",
            },
        ],
    }
    head = f'<script type="application/ld+json">{json.dumps(ld)}</script>'
    page = extract_html(_page(_article(), head=head))
    assert page.title == "Council approves budget"
    assert page.published_raw == "2024-03-05"
    assert page.byline == "Jane Doe, John Roe"
    assert page.outlet == "The Daily Example"
    assert page.language == "de"


def test_title_falls_back_to_h1_then_title_without_site_suffix():
    assert extract_html(_page("<h1>The H1 headline</h1>" + _article())).title == "The H1 headline"
    head = "<title>Council approves budget - Example News</title>"
    assert extract_html(_page(_article(), head=head)).title == "Council approves budget"


def test_published_falls_back_to_time_datetime_and_locale_to_og_locale():
    html = _page(
        '<article><time datetime="2024-03-05T08:00">5 March</time>' + _article() + "</article>",
        head='<meta property="og:locale" content="fr_FR">',
    )
    page = extract_html(html)
    assert page.published_raw == "2024-03-05T08:00"
    assert page.language == "fr"


def test_absent_metadata_is_none_never_invented():
    page = extract_html(_page(_article()))
    assert (page.title, page.published_raw, page.byline, page.outlet, page.language, page.url) == (None,) * 6


def test_unusable_metadata_values_are_none():
    head = (
        '<meta name="author" content="https://example.com/staff/jane">'
        '<meta property="og:url" content="/relative/path">'
        '<script type="application/ld+json">{not json</script>'
    )
    page = extract_html(_page(_article(), head=head, html_attrs=' lang="english"'))
    assert (page.byline, page.url, page.language) == (None, None, None)


# --- hostile pages -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "html", ["", "   \n\t", b"", b"\xef\xbb\xbf"], ids=["empty", "blank", "bytes", "bom"]
)
def test_empty_input_raises_extraction_error(html):
    with pytest.raises(HtmlExtractionError, match="empty document"):
        extract_html(html)


def test_page_without_body_raises_extraction_error():
    with pytest.raises(HtmlExtractionError, match="no text"):
        extract_html("<html><head><title>Only a title</title><script>var x = 1;</script></head></html>")


def test_page_of_links_only_raises_extraction_error():
    with pytest.raises(HtmlExtractionError, match="no article text"):
        extract_html(_page(_site_chrome()))


def test_extraction_error_carries_a_one_line_reason():
    with pytest.raises(HtmlExtractionError) as raised:
        extract_html("")
    assert raised.value.reason and "\n" not in raised.value.reason
    assert isinstance(raised.value, ValueError)


def test_truncated_markup_keeps_what_arrived():
    html = _page(_article())[:-60]
    html = html[: html.index(ARTICLE[-1][:30]) + 30]
    assert extract_html(html).paragraphs[:3] == ARTICLE[:3]


def test_ten_thousand_levels_of_nesting_degrade_without_crashing():
    deep = "<div>" * 10_000 + f"<p>{ARTICLE[1]}</p>" + "</div>" * 10_000
    html = _page(f"<p>{ARTICLE[0]}</p>{deep}<p>{ARTICLE[2]}</p>")
    paragraphs = extract_html(html).paragraphs
    assert paragraphs == ARTICLE[:3]


def test_ten_thousand_unclosed_inline_tags_degrade_without_crashing():
    html = "<b><i>" * 10_000 + "".join(f"<p>{text}</p>" for text in ARTICLE)
    assert extract_html(html).paragraphs == ARTICLE


def test_deeply_nested_json_ld_is_ignored():
    head = '<script type="application/ld+json">' + "[" * 100_000 + "]" * 100_000 + "</script>"
    assert extract_html(_page(_article(), head=head)).paragraphs == ARTICLE


def test_twenty_megabyte_page_is_bounded_and_fast():
    filler = '<div class="x"><a href="/">link</a> filler text of the page</div>' * 330_000
    html = _page(_article() + "<script>" + "var a = 1;" * 100_000 + "</script>" + filler)
    assert len(html) > 20_000_000
    started = time.perf_counter()
    paragraphs = extract_html(html).paragraphs
    assert time.perf_counter() - started < 15
    assert paragraphs[: len(ARTICLE)] == ARTICLE
    assert sum(map(len, paragraphs)) <= MAX_HTML_CHARS


def test_control_characters_and_xml_declaration_are_tolerated():
    html = "<?xml version='1.0' encoding='utf-8'?>" + _page(_article()).replace("council", "coun\x00cil")
    assert extract_html(html).paragraphs[0].startswith("The city coun cil voted")


# --- charsets ----------------------------------------------------------------------------------------

FRENCH = "Le président a déclaré que l'économie française était très résiliente cette année, malgré la crise."
RUSSIAN = "Президент заявил, что экономика страны в этом году оказалась очень устойчивой, несмотря на кризис."


def _encoded(text: str, encoding: str, meta: str = "") -> bytes:
    return _page(f"<div><p>{text}</p></div>", head=meta).encode(encoding)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (_encoded(FRENCH, "utf-8"), FRENCH),
        (_encoded(FRENCH, "utf-8", '<meta charset="iso-8859-1">'), FRENCH),
        (
            _encoded(
                RUSSIAN,
                "cp1251",
                '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">',
            ),
            RUSSIAN,
        ),
        (_encoded(FRENCH, "cp1252", '<meta charset="windows-1252">'), FRENCH),
        (b"\xef\xbb\xbf" + _encoded(FRENCH, "utf-8", '<meta charset="windows-1252">'), FRENCH),
        (_encoded(FRENCH, "utf-16"), FRENCH),
        (_encoded(FRENCH, "utf-8", '<meta charset="x-no-such-charset">'), FRENCH),
    ],
    ids=[
        "utf8",
        "utf8-declared-latin1",
        "cp1251-declared",
        "cp1252-declared",
        "bom-wins",
        "utf16-bom",
        "bogus",
    ],
)
def test_bytes_are_decoded_by_bom_then_utf8_then_declared_charset(data, expected):
    assert extract_html(data).paragraphs == [expected]


def test_utf8_cut_mid_character_stays_utf8():
    data = _encoded(FRENCH * 3, "utf-8")
    data = data[: data.rindex("é".encode()) + 1]
    assert extract_html(data).paragraphs[0].startswith("Le président a déclaré")


def test_undeclared_legacy_charset_does_not_crash():
    paragraphs = extract_html(_encoded(RUSSIAN * 3, "cp1251")).paragraphs
    assert paragraphs and "\x00" not in paragraphs[0]


# --- the dev set -------------------------------------------------------------------------------------


def test_evaluate_html_dir_scores_a_benchmark_layout(tmp_path):
    (tmp_path / "html").mkdir()
    html = _page(_site_chrome() + _article()).encode("utf-8")
    (tmp_path / "html" / "p1.html.gz").write_bytes(gzip.compress(html))
    truth = {"p1": {"articleBody": "\n\n".join(ARTICLE), "url": "https://example.com/p1"}}
    (tmp_path / "ground-truth.json").write_text(json.dumps(truth), encoding="utf-8")
    scores = evaluate_html_dir(tmp_path, newsetl_body)
    assert scores["f1"] == 1.0 and scores["pages"] == 1 and scores["pages_per_s"] > 0


def test_dev_set_f1():
    if not (BENCHMARK / "ground-truth.json").is_file():
        pytest.skip(f"extraction dev set not found at {BENCHMARK}")
    scores = evaluate_html_dir(BENCHMARK, newsetl_body)
    assert scores["pages"] == 58
    assert scores["f1"] >= 0.96, scores


def test_byline_element_is_read_when_no_meta_names_the_author():
    page = extract_html(
        "<html><body><article><h1>Port closes old town to cars</h1><p class='byline'>By Hana Sato</p>"
        + "<p>The council voted to close the old town to cars on weekends from next month, officials said.</p>"
        * 3
        + "</article></body></html>"
    )
    assert page.byline == "Hana Sato"
