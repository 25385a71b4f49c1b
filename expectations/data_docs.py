"""Great Expectations Data Docs for the gate's validations, built under ``<warehouse>/dq/data_docs/``.

The gate validates in an ephemeral context, so nothing of it is stored. Each validation's result travels as
JSON-able data (``RowCheck.report`` / ``BatchCheck.report``); here those results go into the validation results
store of a file-backed context under ``<warehouse>/dq/gx/`` and GE's own site builder renders them. The pages are
GE's: opened with a network they load Bootstrap, jQuery and Vega (and GE's logo) from public CDNs. Building them
calls out to nothing.
"""

from __future__ import annotations

import copy
import html
import os
import re
from datetime import UTC, datetime
from pathlib import Path

from expectations.articles import great_expectations

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

SITE_NAME = "newsetl"
DQ_FOLDER = "dq"
CONTEXT_FOLDER = "gx"  # what GE creates under the project root it is given (<warehouse>/dq)
SITE_FOLDER = "data_docs"
BATCH_PART_KEY = "newsetl_batch_part"
# Our run ids start with their UTC start time (flows.pipeline.new_run_id); GE files validations by run time.
_RUN_TIME = re.compile(r"^(\d{8}T\d{6})Z")


def data_docs_index(warehouse_dir: Path) -> Path:
    """Where the Data Docs site's index page is (whether or not it was built yet)."""
    return Path(warehouse_dir) / DQ_FOLDER / SITE_FOLDER / "index.html"


def label_report(report: dict, run_id: str, batch_part: int) -> dict:
    """A copy of a gate report that names the pipeline run and batch it belongs to, as GE's pages show them.

    GE files a validation under (suite, run name, run time, batch); the run time is read from ``run_id`` when it
    starts with one (as ``flows.pipeline.new_run_id`` makes them), so every batch of a run shares it.
    """
    labelled = copy.deepcopy(report)
    meta = labelled.setdefault("meta", {})
    run_time = _run_time(run_id)
    meta["run_id"] = {"run_name": run_id, "run_time": run_time.isoformat()}
    meta["validation_time"] = run_time.isoformat()
    meta[BATCH_PART_KEY] = batch_part
    return labelled


def build_data_docs(warehouse_dir: Path, reports: list[dict]) -> Path:
    """Store ``reports`` (gate reports, ideally passed through ``label_report``) and build the Data Docs site.

    Only the new validations' pages are rendered (with the suites they use); the index lists every validation
    stored so far. Returns the path of the site's ``index.html``.
    """
    index = data_docs_index(warehouse_dir)
    # Nothing validated (a no-op run): the site stands as it is, and GE (2.7 s, 170 MB) stays unloaded.
    if not reports and index.exists():
        return index
    # Imported here: GE takes seconds to import, and the dashboard only needs ``data_docs_index``.
    gx, _ = great_expectations()
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResultSchema
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

    context = _file_context(Path(warehouse_dir) / DQ_FOLDER)
    schema = ExpectationSuiteValidationResultSchema()
    identifiers: list = []
    suites: dict[str, list[dict]] = {}
    for number, report in enumerate(reports):
        result = schema.load(_escape_samples(report))
        identifier = _identifier(result, number)
        result.meta["run_id"] = identifier.run_id
        context.validation_results_store.set(identifier, result)
        identifiers.append(identifier)
        suites[result.suite_name] = [
            item["expectation_config"] for item in report.get("results", []) if item.get("expectation_config")
        ]
    for name, configs in suites.items():
        # The suite page the validation pages link to: the latest configuration of each suite validated.
        context.suites.add_or_update(
            gx.ExpectationSuite(name=name, expectations=_suite_expectations(configs))
        )
        identifiers.append(ExpectationSuiteIdentifier(name=name))
    if identifiers or not index.exists():
        # An empty identifier list would make GE rebuild every page it has ever stored.
        context.build_data_docs(site_names=[SITE_NAME], resource_identifiers=identifiers or None)
    return index


def _file_context(project_root: Path):
    gx, _ = great_expectations()

    project_root.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=project_root)
    sites = context.list_data_docs_sites()
    if SITE_NAME not in sites:
        for name in list(sites):
            # GE's default site lives inside gx/uncommitted/; ours is <warehouse>/dq/data_docs/.
            context.delete_data_docs_site(name)
        context.add_data_docs_site(
            SITE_NAME,
            {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                # Relative to the context root (<warehouse>/dq/gx), so the warehouse folder can move.
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": f"../{SITE_FOLDER}/",
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    return context


def _identifier(result, number: int):
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    run = result.meta.get("run_id")
    if isinstance(run, dict) and run.get("run_name"):
        run_id = RunIdentifier(run_name=run["run_name"], run_time=run.get("run_time"))
    else:
        run_id = RunIdentifier(run_name="unlabelled", run_time=datetime.now(UTC))
    part = result.meta.get(BATCH_PART_KEY, number)
    return ValidationResultIdentifier(
        expectation_suite_identifier=ExpectationSuiteIdentifier(name=result.suite_name),
        run_id=run_id,
        batch_identifier=f"batch-{int(part):06d}",
    )


def _escape_samples(report: dict) -> dict:
    """A copy of ``report`` whose sample values are HTML-escaped.

    GE's validation pages put unexpected values into table cells as raw HTML (GE 1.24 escapes only string-template
    parameters), and those values are scraped text: a title holding ``<script>`` would run in the page.
    """
    report = copy.deepcopy(report)
    for item in report.get("results", []):
        details = item.get("result") or {}
        if "partial_unexpected_list" in details:
            details["partial_unexpected_list"] = [
                _escape(value) for value in details["partial_unexpected_list"]
            ]
        for count in details.get("partial_unexpected_counts") or []:
            count["value"] = _escape(count.get("value"))
        if "unexpected_list" in details:
            details["unexpected_list"] = [_escape(value) for value in details["unexpected_list"]]
    return report


def _escape(value: object) -> object:
    return html.escape(value, quote=False) if isinstance(value, str) else value


def _suite_expectations(configs: list[dict]) -> list[dict]:
    """Expectation configurations as a new suite takes them: without the ids and batch ids of the run."""
    expectations = []
    for config in configs:
        config = {key: value for key, value in config.items() if key not in {"id", "rendered_content"}}
        config["kwargs"] = {
            key: value for key, value in config.get("kwargs", {}).items() if key != "batch_id"
        }
        expectations.append(config)
    return expectations


def _run_time(run_id: str) -> datetime:
    match = _RUN_TIME.match(run_id)
    if match:
        return datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    return datetime.now(UTC)
