"""A warehouse built by a real pipeline run on the seeds plus one syndicated copy, shared by the analyst tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import SEEDS, write_file

ORIGINAL = "001_07a9698ef5fdac14.txt"


def syndicated_copy(text: str) -> str:
    """Seed 001 as another outlet re-publishes it a day later: its own date line, headline, edits and footer."""
    body = text.split("\n", 1)[1].split("(FRANCE 24 with AFP and AP)")[0]
    body = body.replace("Representatives from", "Envoys from").replace(
        "Significant damage was visible in the city", "Heavy damage could be seen across the city"
    )
    return (
        "Thu, 30 Nov 2023\n\nKarabakh leaders and Baku hold first talks after offensive\n"
        f"{body}\n(Caucasus Courier with AP)\n\nOriginally published on Caucasus Courier\n"
    )


@pytest.fixture(scope="session")
def analyst_warehouse(tmp_path_factory: pytest.TempPathFactory, prefect_harness: str) -> Path:
    """Warehouse of one real run over the five seeds and a syndicated copy of seed 001 (read it, never write)."""
    from flows.pipeline import newsetl_pipeline

    root = tmp_path_factory.mktemp("analyst")
    inputs = root / "inputs"
    shutil.copytree(SEEDS, inputs)
    write_file(inputs, "copy_of_001.txt", syndicated_copy((SEEDS / ORIGINAL).read_text(encoding="utf-8")))
    warehouse = root / "warehouse"
    summary = newsetl_pipeline(inputs=[str(inputs)], warehouse=str(warehouse))
    assert summary.status == "loaded" and summary.articles_loaded == 6
    return warehouse
