"""Two runs at once, and read errors that go away (retried) or stay (quarantined)."""

from __future__ import annotations

import errno
import os
import threading
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

import transforms.batch
from flows.cli import app
from flows.pipeline import newsetl_pipeline
from tests.conftest import write_file
from warehouse.layout import WarehouseLayout
from warehouse.lock import WarehouseBusyError, warehouse_lock

pytestmark = pytest.mark.usefixtures("prefect_harness")

STORY = (
    "Rail workers began a two-day strike on Wednesday over pay and staffing, halting most regional services. "
    "The union said talks with the operator had broken down after the company offered a three percent raise. "
    "Commuters crowded onto buses and roads into the capital were jammed for hours, the police said."
)


def test_a_second_run_on_a_busy_warehouse_exits_with_a_clear_message(seeds: Path, warehouse: Path) -> None:
    layout = WarehouseLayout(warehouse)
    with warehouse_lock(layout.lock):
        with pytest.raises(WarehouseBusyError, match="another newsetl run is using this warehouse"):
            newsetl_pipeline(inputs=[str(seeds)], warehouse=str(warehouse))
        result = CliRunner().invoke(app, ["run", "-i", str(seeds), "-w", str(warehouse)])
        assert result.exit_code == 3
        assert "another newsetl run is using this warehouse" in result.output
    summary = newsetl_pipeline(inputs=[str(seeds)], warehouse=str(warehouse))
    assert (summary.status, summary.articles_loaded) == ("loaded", 5)


def test_a_second_run_can_wait_for_the_first(seeds: Path, warehouse: Path) -> None:
    layout = WarehouseLayout(warehouse)
    holding = threading.Event()

    def hold_briefly() -> None:
        with warehouse_lock(layout.lock):
            holding.set()
            time.sleep(1.5)

    holder = threading.Thread(target=hold_briefly)
    holder.start()
    holding.wait()
    summary = newsetl_pipeline(inputs=[str(seeds)], warehouse=str(warehouse), lock_wait_seconds=30)
    holder.join()
    assert summary.articles_loaded == 5


def test_transient_read_errors_are_retried_and_permanent_ones_quarantined(
    tmp_path: Path, warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = tmp_path / "in"
    flaky = write_file(inputs, "flaky.txt", f"Rail Strike Begins\n{STORY}\n")
    broken = write_file(inputs, "broken.txt", f"Rail Strike Continues\n{STORY} The strike went on.\n")
    attempts = {flaky.name: 0, broken.name: 0}

    def fail_as_the_disk_would(name: str) -> None:
        if name in attempts:
            attempts[name] += 1
            if name == broken.name or attempts[name] <= 2:
                raise OSError(errno.EIO, "Input/output error")

    # Every local read ends in _read_descriptor: of the descriptor read_ahead opened, or of one opened by path on a
    # retry.
    read_descriptor = transforms.batch._read_descriptor

    def unreliable_read(path: str, descriptor: int):
        try:
            fail_as_the_disk_would(Path(path).name)
        except OSError:
            os.close(descriptor)  # as the real read does, whatever happens
            raise
        return read_descriptor(path, descriptor)

    monkeypatch.setattr(transforms.batch, "_read_descriptor", unreliable_read)
    summary = newsetl_pipeline(inputs=[str(inputs)], warehouse=str(warehouse))
    # broken.txt fails the batch's first two attempts; on the last one each file gets three tries of its own.
    assert attempts == {"broken.txt": 5, "flaky.txt": 3}
    assert (summary.status, summary.articles_loaded, summary.quarantined) == ("loaded", 1, 1)
    with duckdb.connect(str(warehouse / "news.duckdb"), read_only=True) as connection:
        [(path, reason, detail)] = connection.execute(
            "SELECT source_path, reason, detail FROM quarantine"
        ).fetchall()
    assert (Path(path).name, reason) == ("broken.txt", "read_error") and "Input/output error" in detail


def test_a_file_name_that_is_not_utf8_is_quarantined_not_fatal(tmp_path: Path, warehouse: Path) -> None:
    # Found in review: such a name (its bytes held as surrogates) failed the whole run when it met Arrow.
    inputs = tmp_path / "in"
    write_file(inputs, "good.txt", f"Rail Strike Begins\n{STORY}\n")
    (inputs / os.fsdecode(b"bad\xff.txt")).write_text(f"Rail Strike Continues\n{STORY} It went on.\n")
    # The folder twice, as overlapping inputs: each file is still counted once.
    summary = newsetl_pipeline(inputs=[str(inputs), str(inputs)], warehouse=str(warehouse))
    assert (summary.status, summary.files_seen, summary.articles_loaded, summary.quarantined) == (
        "loaded",
        2,
        1,
        1,
    )
    with duckdb.connect(str(warehouse / "news.duckdb"), read_only=True) as connection:
        [(path, reason, detail)] = connection.execute(
            "SELECT source_path, reason, detail FROM quarantine"
        ).fetchall()
    assert (path, reason) == (str(inputs / "bad\\xff.txt"), "undecodable_path")
    assert "not valid UTF-8" in detail
    # Left as it is, the file is not quarantined again by the next run (its key is that of the real file).
    again = newsetl_pipeline(inputs=[str(inputs)], warehouse=str(warehouse))
    assert (again.files_seen, again.files_skipped, again.quarantined, again.articles_loaded) == (2, 2, 0, 0)
