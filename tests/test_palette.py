"""One value → class → colour helper shared by every map."""

import numpy as np
import pytest

from mapping.maps import palette as P


@pytest.mark.parametrize("value,expected", [(-1, 0), (0, 0), (5, 0), (5.01, 1), (9, 1), (9.5, 2), (np.nan, 2)])
def test_classes_are_upper_inclusive(value, expected):
    assert P.classify([value], [5, 9]).tolist() == [expected]


def test_no_breaks_is_one_class():
    assert P.classify([0, 3, 100], []).tolist() == [0, 0, 0]


@pytest.mark.parametrize("n,expected", [(0, 1), (1, 1), (3, 3), (5, 5), (8, 5)])
def test_ramp_takes_the_lightest_colours(n, expected):
    colours = P.ramp(P.ORANGES, n)
    assert len(colours) == expected and colours == list(P.ORANGES[:expected])


def test_colour_of_with_zero_colour():
    fills = P.colour_of([0, -2, 1, 5, 6, 50], [5, 50], ["#a", "#b"], zero="#z")
    assert fills.tolist() == ["#z", "#z", "#a", "#a", "#b", "#b"]


def test_colour_of_clips_to_the_last_colour_and_keeps_zero_in_the_first_class_without_zero_colour():
    assert P.colour_of([0, 70], [5, 50], ["#a", "#b"]).tolist() == ["#a", "#b"]
    assert P.colour_of([3, 30, 300], [5, 50, 100], ["#a"]).tolist() == ["#a", "#a", "#a"]


def test_colour_of_needs_a_colour():
    with pytest.raises(ValueError, match="'colours' must hold at least one colour"):
        P.colour_of([1], [5], [])


def test_ramps_are_distinct_five_class_hex_colours():
    for ramp in (P.ORANGES, P.PURPLES, P.BLUES):
        assert len(ramp) == len(set(ramp)) == 5
        assert all(c.startswith("#") and len(c) == 7 for c in ramp)
    assert P.ZERO_FILL not in P.ORANGES + P.PURPLES + P.BLUES
