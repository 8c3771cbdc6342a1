import os

import numpy as np
import pytest

# The offline check reads the built book: `make test` builds it, then runs that file
# with BOOK_HTML set. Without it the file is not collected (rather than skipped).
collect_ignore = [] if os.environ.get("BOOK_HTML") else ["tests/test_book_offline.py"]


@pytest.fixture(autouse=True)
def _doctest_namespace(doctest_namespace):
    doctest_namespace["np"] = np
