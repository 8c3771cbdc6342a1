"""Number types: the float32 default, the float64 switch, and input casting."""
import numpy as np
import pytest

from nnlib import backend
from nnlib.backend import as_float_array, floatx, floatx_scope, set_floatx, standardize_dtype


def test_float32_is_the_default():
    assert floatx() == "float32"
    assert standardize_dtype(None) == "float32"


def test_floatx_scope_switches_and_restores():
    with floatx_scope("float64"):
        assert floatx() == "float64"
        with floatx_scope(np.float16):
            assert floatx() == "float16"
        assert floatx() == "float64"
    assert floatx() == "float32"


def test_floatx_scope_restores_after_an_exception():
    with pytest.raises(RuntimeError):
        with floatx_scope("float64"):
            raise RuntimeError("inside")
    assert floatx() == "float32"


def test_set_floatx_accepts_dtypes_and_rejects_non_floats():
    try:
        set_floatx(np.float64)
        assert backend.floatx() == "float64"
    finally:
        set_floatx("float32")
    with pytest.raises(ValueError, match="floatx must be one of"):
        set_floatx("int32")
    assert floatx() == "float32"


def test_standardize_dtype_rejects_non_floats():
    assert standardize_dtype("float64") == "float64"
    with pytest.raises(ValueError, match="dtype must be one of .* got 'int64'"):
        standardize_dtype("int64")


@pytest.mark.parametrize("value, dtype", [
    (np.array([1, 2, 3]), "float32"),
    (np.array([True, False]), "float32"),
    (np.array([0.1, 0.2], dtype=np.float64), "float32"),
    (np.array([1, 2], dtype=np.uint8), "float64"),
    ([[1, 2], [3, 4]], "float64"),
])
def test_as_float_array_casts_numbers(value, dtype):
    array = as_float_array(value, dtype, "owner")
    assert array.dtype == dtype
    np.testing.assert_allclose(array, np.asarray(value, dtype=np.float64), rtol=1e-6)


def test_as_float_array_keeps_an_array_of_the_right_dtype():
    x = np.ones(3, dtype=np.float32)
    assert as_float_array(x, "float32", "owner") is x


@pytest.mark.parametrize("value, kind", [
    (np.array(["a", "b"]), "<U1"),
    (np.array([1, None], dtype=object), "object"),
    (np.array([1 + 2j]), "complex128"),
])
def test_as_float_array_rejects_non_numeric_input_naming_the_owner(value, kind):
    with pytest.raises(TypeError, match=f"Dense 'dense_9': expected numeric input, got dtype {kind}"):
        as_float_array(value, "float32", "Dense 'dense_9'")
