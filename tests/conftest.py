import matplotlib

matplotlib.use("Agg")  # figures are drawn off screen: tests check their data

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    """Every test starts with no open figure."""
    yield
    plt.close("all")
