"""The Explorer's downloads as bytes: the per-set statistics (CSV, or .npz when there are
too many sets) and the normalized tensor (.npy). Pure, no Streamlit.
"""

from __future__ import annotations

import io

import numpy as np

import normlib
from normapp.explorer.set_statistics import statistics_table


def statistics_csv(result: normlib.NormResult) -> str:
    """The statistics table as CSV text (integers as such, floats at full precision)."""
    table = statistics_table(result)
    buffer = io.StringIO()
    columns = list(table.values())
    formats = ["%.17g" if column.dtype.kind == "f" else "%d" for column in columns]
    data = np.empty((result.n_sets, len(columns)), dtype=object)
    for i, column in enumerate(columns):
        data[:, i] = column
    np.savetxt(buffer, data, fmt=formats, delimiter=",", header=",".join(table), comments="")
    return buffer.getvalue()


# Above this many sets the statistics are offered as .npz, not CSV: a CSV of
# 2^24 rows took 37 s and 5 GB to write (issue 7), and no spreadsheet opens it.
CSV_MAX_ROWS = 100_000


def statistics_npz(result: normlib.NormResult) -> bytes:
    """Per-set statistics as .npz bytes: `mean` and `var` (or `mean_square`), stat-shaped."""
    buffer = io.BytesIO()
    if result.spec.center:
        np.savez(buffer, mean=result.mean, var=result.var)
    else:
        np.savez(buffer, mean=result.mean, mean_square=result.var)
    return buffer.getvalue()


def npy_megabytes(array: np.ndarray) -> float:
    """Size of `array` as a .npy file, in MB (10^6 bytes); the header is ~128 bytes."""
    return (array.nbytes + 128) / 1e6


def tensor_npy(array: np.ndarray) -> bytes:
    """The array as .npy bytes, for a download button."""
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()
