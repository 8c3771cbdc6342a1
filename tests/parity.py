"""What the parity tests against Keras 3 and PyTorch share: the tolerance and the comparison."""
import numpy as np

RTOL = 1e-5  # float32 against float32


def close(actual, expected, rtol=RTOL):
    """Relative error against the largest reference value (sums of products cancel)."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    scale = max(float(np.abs(expected).max()), 1e-12)
    assert float(np.abs(actual - expected).max()) <= rtol * scale


def numpy(tensor):
    """A PyTorch tensor as a NumPy array."""
    return tensor.detach().cpu().numpy()
