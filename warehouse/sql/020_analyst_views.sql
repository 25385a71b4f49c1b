-- The analyst layer: views over the current state of the warehouse, documented where they are queried
-- (SELECT table_name, column_name, comment FROM duckdb_columns()). docs/queries.md shows them in use.

-- v_articles: the current version of each article, with its story and, for a syndicated copy, the original.
CREATE OR REPLACE VIEW v_articles AS
WITH current_articles AS (
    SELECT *, coalesce(published_at, TIMESTAMP '9999-12-31') AS sort_time
    FROM articles
    WHERE superseded_at IS NULL
),
originals AS (
    SELECT s.article_id, o.article_id AS duplicate_of
    FROM article_similarity AS s
    JOIN current_articles AS me ON me.article_id = s.article_id
    JOIN current_articles AS o ON o.article_id = s.similar_id
    WHERE o.sort_time < me.sort_time OR (o.sort_time = me.sort_time AND o.article_id < me.article_id)
    QUALIFY row_number() OVER (PARTITION BY s.article_id ORDER BY o.sort_time, o.article_id) = 1
)
SELECT
    a.article_id,
    a.title,
    a.outlet,
    a.published_at,
    CAST(a.published_at AS DATE) AS published_day,
    a.dateline,
    a.byline,
    a.wire_agencies,
    a.language,
    a.url,
    a.word_count,
    a.body,
    c.cluster_id AS story_id,
    o.duplicate_of,
    a.source_path,
    a.source_format,
    a.run_id,
    a.ingested_at
FROM current_articles AS a
LEFT JOIN story_clusters AS c USING (article_id)
LEFT JOIN originals AS o USING (article_id);
COMMENT ON VIEW v_articles IS 'The current version of every article (articles WHERE superseded_at IS NULL), with its story cluster and, for a syndicated copy, the article it duplicates.';
COMMENT ON COLUMN v_articles.article_id IS 'Stable id: first 16 hex digits of the SHA-256 of the cleaned body.';
COMMENT ON COLUMN v_articles.title IS 'Headline; NULL when the input has none.';
COMMENT ON COLUMN v_articles.outlet IS 'Publisher named by a trailer, credit line or page metadata; NULL if unknown.';
COMMENT ON COLUMN v_articles.published_at IS 'Publication time in UTC when a zone was given, else as written; NULL if unknown.';
COMMENT ON COLUMN v_articles.published_day IS 'Calendar day of published_at; NULL if unknown.';
COMMENT ON COLUMN v_articles.dateline IS 'Place the story was filed from (United Nations, MOSCOW).';
COMMENT ON COLUMN v_articles.byline IS 'Author names from a By-line or page metadata.';
COMMENT ON COLUMN v_articles.wire_agencies IS 'Wire agencies credited (AFP, AP, Reuters, ...), sorted; v_wire_agencies has one row per agency.';
COMMENT ON COLUMN v_articles.language IS 'ISO 639-1 code of the body language, detected offline.';
COMMENT ON COLUMN v_articles.url IS 'Canonical URL when the input gives one.';
COMMENT ON COLUMN v_articles.word_count IS 'Number of words in body.';
COMMENT ON COLUMN v_articles.body IS 'Cleaned article text, one paragraph per line.';
COMMENT ON COLUMN v_articles.story_id IS 'Story cluster (story_clusters.cluster_id): the article_id of the story''s first article.';
COMMENT ON COLUMN v_articles.duplicate_of IS 'For a near-duplicate (syndicated copy, article_similarity): the earliest published article it copies; NULL for an original or a unique article.';
COMMENT ON COLUMN v_articles.source_path IS 'Path of the raw file the article came from.';
COMMENT ON COLUMN v_articles.source_format IS 'Input format: txt, html or jsonl.';
COMMENT ON COLUMN v_articles.run_id IS 'Pipeline run that loaded the article.';
COMMENT ON COLUMN v_articles.ingested_at IS 'When the run loaded the article (UTC).';

-- v_daily_counts: how much each outlet published each day.
CREATE OR REPLACE VIEW v_daily_counts AS
SELECT
    outlet,
    CAST(published_at AS DATE) AS day,
    count(*) AS articles,
    sum(word_count) AS words
FROM articles
WHERE superseded_at IS NULL
GROUP BY ALL;
COMMENT ON VIEW v_daily_counts IS 'Current articles per outlet and publication day (NULL outlet or day: not known).';
COMMENT ON COLUMN v_daily_counts.outlet IS 'Publisher; NULL when the article names none.';
COMMENT ON COLUMN v_daily_counts.day IS 'Publication day (UTC when the article gave a zone); NULL when undated.';
COMMENT ON COLUMN v_daily_counts.articles IS 'Number of current articles.';
COMMENT ON COLUMN v_daily_counts.words IS 'Total words in their bodies.';

-- v_wire_agencies: one row per article and credited agency.
CREATE OR REPLACE VIEW v_wire_agencies AS
SELECT article_id, unnest(wire_agencies) AS agency, outlet, title, published_at
FROM articles
WHERE superseded_at IS NULL;
COMMENT ON VIEW v_wire_agencies IS 'One row per current article and wire agency it credits (articles.wire_agencies unnested); articles crediting none are absent.';
COMMENT ON COLUMN v_wire_agencies.article_id IS 'Article that credits the agency.';
COMMENT ON COLUMN v_wire_agencies.agency IS 'Wire agency credited (AFP, AP, Reuters, ...).';
COMMENT ON COLUMN v_wire_agencies.outlet IS 'Publisher of the article.';
COMMENT ON COLUMN v_wire_agencies.title IS 'Headline of the article.';
COMMENT ON COLUMN v_wire_agencies.published_at IS 'Publication time of the article.';

-- v_removals_by_rule: what each boilerplate rule removed, over all runs.
CREATE OR REPLACE VIEW v_removals_by_rule AS
SELECT
    rule,
    count(*) AS removals,
    count(DISTINCT article_id) AS articles,
    sum(length(removed_text)) AS removed_chars,
    max(run_id) AS last_run_id
FROM boilerplate_removals
GROUP BY rule;
COMMENT ON VIEW v_removals_by_rule IS 'Boilerplate removals per cleaning rule (transforms.boilerplate), over every run.';
COMMENT ON COLUMN v_removals_by_rule.rule IS 'Name of the cleaning rule.';
COMMENT ON COLUMN v_removals_by_rule.removals IS 'Lines or spans the rule removed.';
COMMENT ON COLUMN v_removals_by_rule.articles IS 'Articles it removed something from.';
COMMENT ON COLUMN v_removals_by_rule.removed_chars IS 'Characters it removed.';
COMMENT ON COLUMN v_removals_by_rule.last_run_id IS 'Latest run in which it removed something.';

-- v_latest_run: the most recent pipeline run, whatever its outcome.
CREATE OR REPLACE VIEW v_latest_run AS
SELECT
    run_id,
    status,
    started_at,
    finished_at,
    date_diff('millisecond', started_at, finished_at) / 1000.0 AS seconds,
    files_seen,
    files_loaded,
    files_quarantined,
    files_skipped,
    documents_seen,
    articles_loaded,
    quarantined,
    skipped,
    boilerplate_removed,
    validation_success,
    reason
FROM pipeline_runs
ORDER BY started_at DESC, run_id DESC
LIMIT 1;
COMMENT ON VIEW v_latest_run IS 'The most recent pipeline run (pipeline_runs), whatever its status, with its duration.';
COMMENT ON COLUMN v_latest_run.run_id IS 'Run id (also the Prefect flow run name).';
COMMENT ON COLUMN v_latest_run.status IS 'loaded, blocked (data-quality gate) or failed.';
COMMENT ON COLUMN v_latest_run.started_at IS 'Run start (UTC).';
COMMENT ON COLUMN v_latest_run.finished_at IS 'Run end (UTC).';
COMMENT ON COLUMN v_latest_run.seconds IS 'Run duration in seconds.';
COMMENT ON COLUMN v_latest_run.files_seen IS 'Input files discovered.';
COMMENT ON COLUMN v_latest_run.files_loaded IS 'Files that gave at least one loaded article.';
COMMENT ON COLUMN v_latest_run.files_quarantined IS 'Files that gave no article and at least one quarantine row.';
COMMENT ON COLUMN v_latest_run.files_skipped IS 'Files unchanged since the last run, or giving only duplicates.';
COMMENT ON COLUMN v_latest_run.documents_seen IS 'Documents read (articles_loaded + quarantined + skipped).';
COMMENT ON COLUMN v_latest_run.articles_loaded IS 'Articles written to the articles table.';
COMMENT ON COLUMN v_latest_run.quarantined IS 'Documents sent to quarantine.';
COMMENT ON COLUMN v_latest_run.skipped IS 'Documents skipped as already loaded or duplicated.';
COMMENT ON COLUMN v_latest_run.boilerplate_removed IS 'Lines or spans removed by the cleaner.';
COMMENT ON COLUMN v_latest_run.validation_success IS 'Whether the data-quality gate passed.';
COMMENT ON COLUMN v_latest_run.reason IS 'Why the run was blocked or failed; NULL when it loaded.';

-- dq_results (010_dq_results.sql) is documented as a view there; its columns are documented here.
COMMENT ON COLUMN dq_results.run_id IS 'Pipeline run the validation belongs to.';
COMMENT ON COLUMN dq_results.suite IS 'Expectation suite name (articles.rows or articles.batch).';
COMMENT ON COLUMN dq_results.expectation IS 'Expectation type (expect_column_values_to_not_be_null, ...).';
COMMENT ON COLUMN dq_results.column_name IS 'Column the expectation checks; NULL for table-level checks.';
COMMENT ON COLUMN dq_results.success IS 'Whether the expectation passed.';
COMMENT ON COLUMN dq_results.observed IS 'Observed value, or the count and a sample of the offending values, as JSON text.';
COMMENT ON COLUMN dq_results.validated_at IS 'When the validation ran (UTC).';
