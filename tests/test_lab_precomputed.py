"""The default summary's runs made ahead of time (normapp/lab/precomputed.py): they are the
default view's runs, and a sample of them, trained again here, gives every number exactly."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import threadpoolctl

from normapp.lab import controls, precomputed
from normapp.lab.training import RunConfig, train


def test_the_stored_runs_are_the_default_summarys_and_finished():
    stored = precomputed.load()
    assert list(stored) == precomputed.default_configs()
    assert {c.norm for c in stored} == set(controls.DEFAULT_NORMS)
    assert sorted({c.batch_size for c in stored}) == list(controls.BATCH_SIZES)
    assert {c.seed for c in stored} == {0}
    assert all(result.status == "finished" for result in stored.values())
    assert list(precomputed.default_runs()) == list(stored)


@pytest.mark.parametrize(
    ("norm", "batch"), [("groupnorm", 32), ("batchnorm", 8)], ids=["groupnorm32", "batchnorm8"]
)
@pytest.mark.slow
def test_a_stored_run_equals_the_same_run_trained_now(norm, batch):
    stored = precomputed.load()
    config = next(c for c in stored if c.norm == norm and c.batch_size == batch)
    with threadpoolctl.threadpool_limits(1, "blas"):  # as the lab's training processes
        fresh = train(config)
    for field in dataclasses.fields(fresh):
        if field.name == "seconds":
            continue
        ours, theirs = getattr(stored[config], field.name), getattr(fresh, field.name)
        if isinstance(theirs, np.ndarray):
            np.testing.assert_array_equal(ours, theirs, err_msg=field.name)
            assert ours.dtype == theirs.dtype, field.name
        else:
            assert ours == theirs, field.name


def test_a_missing_file_gives_no_runs(tmp_path):
    assert precomputed.load(tmp_path / "absent.npz") == {}


@pytest.mark.slow
def test_save_and_load_keep_every_field(tmp_path):
    result = train(RunConfig("batchnorm", 4, steps=6, seed=2))
    path = tmp_path / "runs.npz"
    precomputed.save([result], path)
    ((config, loaded),) = precomputed.load(path).items()
    assert config == result.config
    for field in dataclasses.fields(result):
        value = getattr(result, field.name)
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(getattr(loaded, field.name), value)
        else:
            assert getattr(loaded, field.name) == value, field.name
