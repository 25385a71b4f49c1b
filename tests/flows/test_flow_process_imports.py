"""What the flow process loads: Great Expectations only where a batch is validated."""

from __future__ import annotations

import logging
import subprocess
import sys

from tests.conftest import REPO


def test_the_flow_module_does_not_import_great_expectations() -> None:
    # The flow process only submits batches and loads when workers validate: GE would cost it 3 s and 200 MB.
    probe = "import sys, flows.pipeline; print(sorted(m for m in ('great_expectations', 'pandas') if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "[]"


def test_validating_a_batch_still_imports_and_quiets_great_expectations() -> None:
    probe = (
        "import logging, sys, pyarrow as pa; from expectations.gate import check_rows;"
        " from expectations.thresholds import Thresholds;"
        " from transforms.schemas import ARTICLES;"
        " check_rows(ARTICLES.empty_table(), Thresholds());"
        " from expectations.articles import row_suite; row_suite(Thresholds());"
        " print('great_expectations' in sys.modules, logging.getLogger('great_expectations').level)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.split() == ["True", str(logging.WARNING)]
