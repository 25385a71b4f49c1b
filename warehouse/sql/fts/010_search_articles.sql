-- search_articles: BM25 full-text search over the current articles' titles and bodies.
-- Created after each rebuild of the fts index (warehouse.analytics.rebuild_search_index): DuckDB binds
-- fts_main_articles.match_bm25 when the macro is created. A client needs the fts extension loaded to call it
-- (LOAD fts; `newsetl query` and `newsetl search` load it themselves).
CREATE OR REPLACE MACRO search_articles(query_text, max_rows := 20) AS TABLE
WITH scored AS (
    SELECT article_id, fts_main_articles.match_bm25(article_id, query_text) AS score
    FROM articles
    WHERE superseded_at IS NULL
)
SELECT
    a.article_id,
    a.title,
    a.outlet,
    a.published_at,
    round(s.score, 4) AS score,
    coalesce(
        nullif(
            -- up to 12 whole words before the first matched term (query words only: no regex syntax gets in)
            trim(regexp_extract(
                a.body,
                '(?im)(?:^|[ \t])(?:\S+[ \t]+){0,12}\b(?:'
                    || array_to_string(regexp_extract_all(query_text, '\w+'), '|')
                    || ')\w*[^\n]{0,120}'
            )),
            ''
        ),
        left(a.body, 200)
    ) AS snippet
FROM scored AS s
JOIN articles AS a USING (article_id)
WHERE s.score IS NOT NULL
ORDER BY s.score DESC, a.article_id
LIMIT max_rows;
COMMENT ON MACRO TABLE search_articles IS 'search_articles(query_text, max_rows := 20): current articles ranked by BM25 over title and body (porter stemming, English stop words): article_id, title, outlet, published_at, score, snippet (the text around the first matched term). Needs the fts extension loaded in the session: LOAD fts.';
