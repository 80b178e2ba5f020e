import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from caremap.core import codes

pytestmark = pytest.mark.unit

nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)


@given(nine_digits)
def test_generated_nhs_numbers_with_their_check_digit_are_valid(first):
    check = codes.nhs_check_digit(first)
    if check is None:
        # Remainder gives 10: no valid number has these nine digits.
        assert not any(codes.is_valid_nhs_number(first + str(d)) for d in range(10))
    else:
        assert codes.is_valid_nhs_number(first + str(check))


@given(nine_digits, st.integers(0, 9), st.integers(1, 9))
def test_any_single_digit_change_is_caught(first, pos, delta):
    check = codes.nhs_check_digit(first)
    if check is None:
        return
    number = list(first + str(check))
    number[pos] = str((int(number[pos]) + delta) % 10)
    assert not codes.is_valid_nhs_number("".join(number))


@given(nine_digits, st.integers(0, 8))
def test_adjacent_transpositions_are_caught(first, pos):
    check = codes.nhs_check_digit(first)
    if check is None:
        return
    number = list(first + str(check))
    if number[pos] == number[pos + 1]:
        return
    number[pos], number[pos + 1] = number[pos + 1], number[pos]
    assert not codes.is_valid_nhs_number("".join(number))


def test_nhs_data_dictionary_example():
    # The NHS Data Dictionary's worked example: 943 476 5919.
    assert codes.is_valid_nhs_number("943 476 5919")
    assert codes.is_valid_nhs_number("943-476-5919")
    assert not codes.is_valid_nhs_number("9434765918")
    assert not codes.is_valid_nhs_number("94347659")
    assert not codes.is_valid_nhs_number(None)


@given(st.lists(nine_digits, min_size=1, max_size=50))
def test_vectorised_check_agrees_with_scalar(firsts):
    numbers = []
    for f in firsts:
        c = codes.nhs_check_digit(f)
        numbers.append(f + str(c if c is not None else 0))
        numbers.append(f + "7")
    numbers += ["", "12345", "abcdefghij"]
    got = codes.valid_nhs_numbers(np.array(numbers))
    assert got.tolist() == [codes.is_valid_nhs_number(n) for n in numbers]


@pytest.mark.parametrize(
    "raw,norm,ok",
    [
        ("ls1 4ap", "LS1 4AP", True),
        ("SW1A1AA", "SW1A 1AA", True),
        ("M1 1AE", "M1 1AE", True),
        ("B33 8TH", "B33 8TH", True),
        ("CR2 6XH", "CR2 6XH", True),
        ("DN55 1PT", "DN55 1PT", True),
        ("EC1A 1BB", "EC1A 1BB", True),
        ("GIR 0AA", "GIR 0AA", True),
        ("ZZZ", "ZZZ", False),
        ("12345", "12 345", False),
        ("LS1 4A", "LS 14A", False),
    ],
)
def test_postcodes(raw, norm, ok):
    assert codes.normalise_postcode(raw) == norm
    assert codes.is_valid_postcode(raw) is ok


@pytest.mark.parametrize(
    "code,ok",
    [
        ("J44.1", True),
        ("J441", True),
        ("I21", True),
        ("S72.00", True),
        ("J44X", True),
        ("j18.9", True),
        ("U07.1", True),
        ("123", False),
        ("JJ4", False),
        ("J4", False),
    ],
)
def test_icd10(code, ok):
    assert codes.is_valid_icd10(code) is ok


@pytest.mark.parametrize(
    "code,ok",
    [
        ("W37.1", True),
        ("W371", True),
        ("H01", True),
        ("I01", False),
        ("W3", False),
        ("W37.12", False),
        ("37.1", False),
    ],
)
def test_opcs4(code, ok):
    assert codes.is_valid_opcs4(code) is ok


@pytest.mark.parametrize(
    "raw,norm",
    [("m", "M"), ("Female", "F"), ("1", "M"), ("2", "F"), ("9", "U"), ("0", "U"), ("q", None)],
)
def test_sex(raw, norm):
    assert codes.normalise_sex(raw) == norm
