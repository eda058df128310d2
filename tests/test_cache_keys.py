"""The cache keys normapp/cached.py gives Streamlit for a View and a NormSpec (`KEYS`).

Streamlit keys a cached result by hashing its arguments; for a View and a NormSpec
it uses cached.KEYS, one string each. Two arguments that compute different things
must get different keys (else one session is shown another's result), and equal ones
the same key (else the cache only misses). Checked by brute force over every spec.
"""

from __future__ import annotations

import itertools

import pytest

import normlib
from normapp import cached

AXES = ["".join(letters) for r in range(5) for letters in itertools.combinations("NCHW", r)]


def _every_spec() -> list[normlib.NormSpec]:
    specs = []
    for axes, groups, center in itertools.product(AXES, (1, 2, 3), (True, False)):
        if groups > 1 and "C" not in axes:
            continue
        specs.append(normlib.NormSpec(axes, groups=groups, center=center))
    return specs


def _key(value) -> str:
    return cached.KEYS[type(value)](value)


def test_specs_get_equal_keys_exactly_when_they_compute_the_same():
    specs = _every_spec()
    for a, b in itertools.combinations(specs, 2):
        same = (a.axes, a.groups, a.center) == (b.axes, b.groups, b.center)
        assert (_key(a) == _key(b)) == same, (a, b)


@pytest.mark.parametrize("name", sorted(normlib.METHODS))
def test_a_preset_keys_as_the_spec_it_stands_for(name):
    preset = normlib.METHODS[name]
    plain = normlib.NormSpec(preset.axes, groups=preset.groups, center=preset.center)
    assert type(preset) is not type(plain)
    assert _key(preset) == _key(plain)


def test_views_differing_in_any_field_get_different_keys():
    base = dict(
        input_key=("Random tensor", (8, 3, 32, 32), 0, "normal", 2.0, 1.0, 0.0, 1.0),
        spec=normlib.NormSpec("NHW"),
        eps=1e-5,
        gamma=1.0,
        beta=0.0,
    )
    changed = {
        "input_key": ("Random tensor", (8, 3, 32, 32), 1, "normal", 2.0, 1.0, 0.0, 1.0),
        "spec": normlib.NormSpec("CHW"),
        "eps": 1e-3,
        "gamma": 2.0,
        "beta": 0.5,
    }
    keys = {_key(cached.View(**base))}
    for field, value in changed.items():
        keys.add(_key(cached.View(**{**base, field: value})))
    assert len(keys) == 1 + len(changed)
    # And a View equal in every field keys the same.
    assert _key(cached.View(**base)) == _key(cached.View(**dict(base)))
