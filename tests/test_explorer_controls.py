"""The Explorer's control repairs on a plain dict: reachable without Streamlit."""

from __future__ import annotations

from normapp.explorer import controls


def fresh(**changes) -> dict:
    values = {
        "method": "batchnorm",
        "axes": ["N", "H", "W"],
        "groups": 1,
        "center": True,
        "eps": 1e-5,
        "gamma": 1.0,
        "beta": 0.0,
        "ex:n": 0,
        "ex:c": 0,
        "ex:h": 0,
        "ex:w": 0,
    }
    values.update(changes)
    return values


def test_a_group_count_that_does_not_divide_c_takes_the_nearest_divisor():
    values = fresh(**{"axes": ["C", "H", "W"], "groups": 5, "method": None})
    messages = controls.repair(values, {}, (2, 6, 4, 4))
    assert values["groups"] == 6  # divisors of 6: 1, 2, 3, 6; 6 is 1 away from 5
    assert messages == ["groups=5 does not divide C=6; using groups=6."]
    assert values["method"] == "groupnorm"  # the preset row: (C, H, W) in G groups


def test_an_element_outside_the_input_is_clipped_into_it_with_one_message():
    values = fresh(**{"ex:n": 9, "ex:h": 4})
    messages = controls.repair(values, {}, (2, 3, 4, 5))
    assert [values[k] for k in controls.PICK_KEYS] == [1, 0, 3, 0]
    assert len(messages) == 1
    assert messages[0].endswith("Using pick=1,0,3,0.")


def test_a_linked_element_outside_the_input_is_named_as_the_link_wrote_it():
    values = fresh(**{"ex:n": 9, "ex:h": 4})
    messages = controls.repair(values, {}, (2, 3, 4, 5), linked_pick=True)
    assert [values[k] for k in controls.PICK_KEYS] == [1, 0, 3, 0]
    assert messages == [
        "Link parameter pick=9\\,0\\,4\\,0 is outside the input's shape (2, 3, 4, 5): "
        "n = 9 is outside 0 to 1; h = 4 is outside 0 to 3; using pick=1,0,3,0."
    ]


def test_the_table_declares_every_explorer_parameter_once():
    assert controls.TABLE.names == (
        "method", "axes", "groups", "eps", "center", "gamma", "beta",
        "pick", "log", "tab", "present", "show",
    )  # fmt: skip
    assert controls.NORM_CONTROLS == ("method", "axes", "groups", "eps", "center", "gamma", "beta")
    assert controls.TYPED_NUMBERS == ("eps", "gamma", "beta")
    assert [c.name for c in controls.TABLE if c.multi] == ["axes"]


def test_a_link_whose_method_and_axes_disagree_keeps_the_axes():
    values = fresh(**{"axes": ["H"], "method": "layernorm"})  # no preset reduces H alone
    messages = controls.repair(values, {"method": "layernorm"}, (2, 3, 4, 4))
    assert values["axes"] == ["H"] and values["method"] is None
    assert messages[0].startswith("Link parameters disagree: method=layernorm")


def test_presets_set_every_control_they_define():
    values = fresh(**{"method": "groupnorm", "groups": 1})
    controls.apply_preset(values, channels=6)
    assert (values["axes"], values["groups"], values["center"]) == (
        ["C", "H", "W"],
        2,
        True,
    )
