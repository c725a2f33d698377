"""CSV export: no cell a spreadsheet would run as a formula (issue 12, finding 8)."""

import pytest

from backend.services.user_data import spreadsheet_safe


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=HYPERLINK(evil)", "\r=HYPERLINK(evil)"])
def test_a_formula_start_is_quoted_as_text(cell: str) -> None:
    assert spreadsheet_safe(cell) == f"'{cell}"


@pytest.mark.parametrize("cell", ["Buy milk", "a=b", "", 3, None])
def test_plain_values_are_left_alone(cell: object) -> None:
    assert spreadsheet_safe(cell) == cell
