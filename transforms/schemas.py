"""Every table's pyarrow schema, declared once.

Parquet files, the DuckDB DDL (``warehouse.ddl``) and the column documentation (``COMMENT ON COLUMN``) all derive
from these schemas: a column is added or documented here and nowhere else. Timestamps are naive microseconds in UTC
(DuckDB ``TIMESTAMP``).
"""

from __future__ import annotations

import pyarrow as pa

TIMESTAMP = pa.timestamp("us")


def _field(name: str, type_: pa.DataType, doc: str, *, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={"doc": doc})


def _schema(doc: str, *fields: pa.Field) -> pa.Schema:
    return pa.schema(list(fields), metadata={"doc": doc})


ARTICLES = _schema(
    "One row per cleaned article: body text and the metadata split from it.",
    _field("article_id", pa.string(), "Stable id: first 16 hex digits of content_sha256.", nullable=False),
    _field("source_path", pa.string(), "Path of the raw file the article came from.", nullable=False),
    _field("source_format", pa.string(), "Input format: txt, html or jsonl.", nullable=False),
    _field("source_record", pa.int32(), "Line number of the record inside a JSON Lines file; 0 otherwise."),
    _field("title", pa.string(), "Headline; NULL when the input has none."),
    _field(
        "published_at",
        TIMESTAMP,
        "Publication time in UTC when a zone was given, else as written; NULL if unknown.",
    ),
    _field("published_at_raw", pa.string(), "The text the publication time was read from."),
    _field("published_tz", pa.string(), "Time zone or offset as written (GMT, +02:00, EST); NULL when none."),
    _field("published_precision", pa.string(), "day or minute: how much of published_at the text gave."),
    _field("dateline", pa.string(), "Place the story was filed from (United Nations, MOSCOW)."),
    _field("byline", pa.string(), "Author names from a By-line or page metadata."),
    _field("outlet", pa.string(), "Publisher named by a trailer, credit line or page metadata."),
    _field("wire_agencies", pa.list_(pa.string()), "Wire agencies credited (AFP, AP, Reuters, ...), sorted."),
    _field("language", pa.string(), "ISO 639-1 code of the body language, detected offline."),
    _field("url", pa.string(), "Canonical URL when the input gives one."),
    _field("body", pa.string(), "Cleaned article text, one paragraph per line.", nullable=False),
    _field("word_count", pa.int32(), "Number of words in body.", nullable=False),
    _field("char_count", pa.int32(), "Number of characters in body.", nullable=False),
    _field("content_sha256", pa.string(), "SHA-256 of the cleaned body (UTF-8).", nullable=False),
    _field("raw_sha256", pa.string(), "SHA-256 of the raw input the article was read from.", nullable=False),
    _field("run_id", pa.string(), "Pipeline run that loaded the row.", nullable=False),
    _field("ingested_at", TIMESTAMP, "When the run loaded the row (UTC).", nullable=False),
    _field(
        "superseded_at", TIMESTAMP, "When a changed source file replaced this version; NULL while current."
    ),
    _field(
        "superseded_by", pa.string(), "article_id of the version that replaced this one, when there is one."
    ),
)

BOILERPLATE_REMOVALS = _schema(
    "Every line or span the cleaner removed from an article, with the rule that removed it.",
    _field("article_id", pa.string(), "Article the text was removed from.", nullable=False),
    _field("source_path", pa.string(), "Raw file the article came from.", nullable=False),
    _field("source_record", pa.int32(), "Record number inside the file (JSON Lines); 0 otherwise."),
    _field(
        "rule", pa.string(), "Name of the rule that removed it (see transforms.boilerplate).", nullable=False
    ),
    _field("line_no", pa.int32(), "1-based line number in the decoded input text.", nullable=False),
    _field("removed_text", pa.string(), "The text removed, verbatim.", nullable=False),
    _field("run_id", pa.string(), "Pipeline run that loaded the row.", nullable=False),
)

QUARANTINE = _schema(
    "Inputs or rows that were not loaded, with the stage that refused them and why.",
    _field("run_id", pa.string(), "Run that quarantined the input.", nullable=False),
    _field("source_path", pa.string(), "Raw file the input came from.", nullable=False),
    _field("source_record", pa.int32(), "Record number inside the file (JSON Lines); 0 otherwise."),
    _field("stage", pa.string(), "Pipeline stage: read, decode, parse, clean or validate.", nullable=False),
    _field(
        "reason", pa.string(), "Short machine-friendly reason (rule or expectation name).", nullable=False
    ),
    _field("detail", pa.string(), "Human-readable detail: the error or the offending value."),
    _field("quarantined_at", TIMESTAMP, "When the input was quarantined (UTC).", nullable=False),
)

PIPELINE_RUNS = _schema(
    "One row per pipeline run. Accounting: files_seen = files_loaded + files_quarantined + files_skipped and "
    "documents_seen = articles_loaded + quarantined + skipped.",
    _field("run_id", pa.string(), "Run id (also the Prefect flow run name).", nullable=False),
    _field("started_at", TIMESTAMP, "Run start (UTC).", nullable=False),
    _field("finished_at", TIMESTAMP, "Run end (UTC)."),
    _field("status", pa.string(), "loaded, blocked (data-quality gate) or failed.", nullable=False),
    _field("files_seen", pa.int64(), "Input files discovered.", nullable=False),
    _field(
        "documents_seen",
        pa.int64(),
        "Articles or records read from new or changed files (an unreadable file counts as one).",
        nullable=False,
    ),
    _field("articles_loaded", pa.int64(), "Articles written to the articles table.", nullable=False),
    _field("quarantined", pa.int64(), "Documents sent to quarantine.", nullable=False),
    _field(
        "skipped", pa.int64(), "Documents skipped: duplicates of an article already loaded.", nullable=False
    ),
    _field("files_loaded", pa.int64(), "Files that gave at least one loaded article."),
    _field("files_quarantined", pa.int64(), "Files that gave no article and at least one quarantine row."),
    _field(
        "files_skipped",
        pa.int64(),
        "Files unchanged since the last run, or whose articles were all duplicates.",
    ),
    _field("boilerplate_removed", pa.int64(), "Lines or spans removed by the cleaner.", nullable=False),
    _field("validation_success", pa.bool_(), "Whether the data-quality gate passed."),
    _field("reason", pa.string(), "Why the run was blocked or failed; NULL when it loaded."),
    _field("inputs", pa.list_(pa.string()), "Input paths the run was given."),
)

DQ_VALIDATIONS = _schema(
    "One row per Great Expectations validation: a suite run on one batch of one pipeline run.",
    _field("run_id", pa.string(), "Pipeline run the validation belongs to.", nullable=False),
    _field(
        "batch_part",
        pa.int32(),
        "Batch number within the run (tasks validate one batch each).",
        nullable=False,
    ),
    _field("suite", pa.string(), "Expectation suite name (articles.rows or articles.batch).", nullable=False),
    _field("success", pa.bool_(), "Whether every expectation of the suite passed.", nullable=False),
    _field("evaluated", pa.int32(), "Expectations evaluated.", nullable=False),
    _field("successful", pa.int32(), "Expectations that passed.", nullable=False),
    _field("unsuccessful", pa.int32(), "Expectations that failed.", nullable=False),
    _field("rows_validated", pa.int64(), "Rows in the validated batch.", nullable=False),
    _field("validated_at", TIMESTAMP, "When the validation ran (UTC).", nullable=False),
)

DQ_EXPECTATION_RESULTS = _schema(
    "One row per expectation per validation, with what was observed.",
    _field("run_id", pa.string(), "Pipeline run the validation belongs to.", nullable=False),
    _field("batch_part", pa.int32(), "Batch number within the run.", nullable=False),
    _field("suite", pa.string(), "Expectation suite name.", nullable=False),
    _field(
        "expectation_type",
        pa.string(),
        "Expectation type, e.g. expect_column_values_to_not_be_null.",
        nullable=False,
    ),
    _field("column", pa.string(), "Column the expectation checks; NULL for table-level checks."),
    _field("kwargs", pa.string(), "The expectation's arguments, as JSON text.", nullable=False),
    _field("success", pa.bool_(), "Whether the expectation passed.", nullable=False),
    _field("unexpected_count", pa.int64(), "Rows that failed the expectation."),
    _field("unexpected_percent", pa.float64(), "Percent of non-null rows that failed it."),
    _field("observed_value", pa.string(), "Observed value for table-level checks, as JSON text."),
    _field("sample_unexpected", pa.list_(pa.string()), "A few of the offending values, as text."),
    _field("validated_at", TIMESTAMP, "When the validation ran (UTC).", nullable=False),
)

INGESTED_FILES = _schema(
    "Manifest of every input file a run looked at: what it was and what became of it.",
    _field("path", pa.string(), "Input file path as discovered.", nullable=False),
    _field("size", pa.int64(), "Size in bytes when read."),
    _field("mtime", TIMESTAMP, "Modification time when read (UTC)."),
    _field("sha256", pa.string(), "SHA-256 of the file's bytes; NULL when it could not be read."),
    _field("run_id", pa.string(), "Run that processed this version of the file.", nullable=False),
    _field(
        "outcome",
        pa.string(),
        "loaded, quarantined, skipped (duplicate or nothing new) or mixed.",
        nullable=False,
    ),
    _field("articles", pa.int32(), "Articles loaded from this file version.", nullable=False),
    _field("detail", pa.string(), "Why: the duplicate article id, the quarantine reason, ..."),
    _field("recorded_at", TIMESTAMP, "When the manifest row was written (UTC).", nullable=False),
)

TABLES: dict[str, pa.Schema] = {
    "articles": ARTICLES,
    "boilerplate_removals": BOILERPLATE_REMOVALS,
    "quarantine": QUARANTINE,
    "pipeline_runs": PIPELINE_RUNS,
    "dq_validations": DQ_VALIDATIONS,
    "dq_expectation_results": DQ_EXPECTATION_RESULTS,
    "ingested_files": INGESTED_FILES,
}


def column_names(schema: pa.Schema) -> list[str]:
    """Column names of a schema in declared order."""
    return [field.name for field in schema]


def empty_table(schema: pa.Schema) -> pa.Table:
    """A zero-row table of the schema."""
    return schema.empty_table()


def table_from_rows(rows: list[dict], schema: pa.Schema) -> pa.Table:
    """Build a table of exactly ``schema`` from row dicts (missing keys become NULL)."""
    return pa.Table.from_pylist(rows, schema=schema)


def concat_tables(tables: list[pa.Table]) -> pa.Table:
    """Concatenate tables of one schema."""
    return pa.concat_tables(tables)


# Derived tables: recomputed from the current articles after each load by ``warehouse.analytics``.

ARTICLE_SIMILARITY = _schema(
    "Near-duplicate article pairs (syndicated copies of one text): estimated Jaccard similarity of their 5-word "
    "shingle sets at or above 0.5 (transforms.similarity). Each pair appears twice, once in each direction.",
    _field("article_id", pa.string(), "Current article.", nullable=False),
    _field(
        "similar_id", pa.string(), "Another current article that is a near-duplicate of it.", nullable=False
    ),
    _field(
        "jaccard",
        pa.float64(),
        "Jaccard similarity of the two articles' 5-word shingle sets, estimated from 128-value MinHash "
        "signatures (0 to 1; 1 = the same text).",
        nullable=False,
    ),
)

STORY_CLUSTERS = _schema(
    "Story clusters: current articles about the same event, grouped by TF-IDF cosine similarity within a time "
    "window (transforms.stories). Every current article has exactly one row; a story of its own is a cluster of one.",
    _field(
        "cluster_id",
        pa.string(),
        "Story id: the article_id of the cluster's first article (earliest published, undated ones last).",
        nullable=False,
    ),
    _field("article_id", pa.string(), "Current article in the cluster.", nullable=False),
)

ARTICLE_MINHASH = _schema(
    "MinHash signature of each analysed current article (transforms.similarity), kept so that a load hashes only its "
    "new articles; a row also marks the article's figures as extracted.",
    _field("article_id", pa.string(), "Current article.", nullable=False),
    _field(
        "signature",
        pa.binary(),
        "128 min-hash values folded to 32 bits, little-endian uint32; NULL when the body has no words.",
    ),
)

ARTICLE_FIGURES = _schema(
    "Casualty and displacement figures stated in current articles' bodies (transforms.figures): one row per figure.",
    _field("article_id", pa.string(), "Article that states the figure.", nullable=False),
    _field("quantity", pa.int64(), "The number as written (10,000 -> 10000; 'two' -> 2).", nullable=False),
    _field(
        "qualifier",
        pa.string(),
        "Hedge written before the number, lower case: at least, more than, over, nearly, about, ...; NULL if none.",
    ),
    _field(
        "what",
        pa.string(),
        "What the number counts: killed, dead, injured, fled, displaced, evacuated, missing or casualties.",
        nullable=False,
    ),
    _field("sentence", pa.string(), "The sentence the figure was read from.", nullable=False),
)

TABLES["article_similarity"] = ARTICLE_SIMILARITY
TABLES["story_clusters"] = STORY_CLUSTERS
TABLES["article_figures"] = ARTICLE_FIGURES
TABLES["article_minhash"] = ARTICLE_MINHASH
