import numpy as np
import pytest

from bcdcodec.coding.tables import CodingTables, quantize_pmf, quantize_pmf_rows


@pytest.mark.parametrize("precision", [8, 16, 24])
def test_quantized_pmf_is_positive_and_exact(precision):
    rng = np.random.default_rng(0)
    for n in (1, 2, 7, 32, 200):
        pmf = rng.dirichlet(np.full(n, 0.2))
        pmf[0] = 0.0
        freq = quantize_pmf(pmf, precision)
        assert freq.dtype == np.int64 and (freq >= 1).all() and freq.sum() == 1 << precision


def test_quantized_pmf_tracks_the_distribution():
    pmf = np.array([0.5, 0.25, 0.125, 0.125])
    freq = quantize_pmf(pmf, 16)
    assert np.abs(freq - pmf * 65536).max() <= 1
    assert quantize_pmf(pmf, 16).tolist() == freq.tolist()  # deterministic


def test_degenerate_inputs_fall_back_to_uniform():
    assert quantize_pmf(np.array([np.nan, 0.0, 0.0, 0.0]), 8).tolist() == [64, 64, 64, 64]
    with pytest.raises(ValueError):
        quantize_pmf(np.ones(300), 8)


def test_tables_reject_bad_rows():
    good = quantize_pmf_rows(np.ones((2, 4)), 8)
    with pytest.raises(ValueError):
        CodingTables(good * 2, good, 8)


def test_ideal_bits():
    tables = CodingTables(quantize_pmf_rows(np.ones((2, 4)), 8), quantize_pmf_rows(np.ones((3, 8)), 8), 8)
    content = np.zeros((5, 3), dtype=np.int32)
    motion = np.zeros((4, 2), dtype=np.int32)
    assert tables.ideal_bits(content, motion) == pytest.approx(5 * 3 * 3 + 4 * 2 * 2)
