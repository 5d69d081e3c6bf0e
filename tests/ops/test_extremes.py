"""Every spec once more on extreme inputs: 0, +-inf, +-1e30 and NaN among its float inputs.

Which outputs and gradient entries are finite must be PyTorch's, and their values where both
are (``harness.check_extremes``). A spec opts out only with ``no_extremes``, its reason.
"""

import pytest

from tests.ops.harness import all_specs, check_extremes, has_float_input

ALL_SPECS = all_specs()
CHECKED = [spec for spec in ALL_SPECS if not spec.no_extremes]

# Cases that fail for code outside tests/ops' reach, each with the fix it waits for. Strict: a
# case that starts to pass fails here until it leaves this list.
AWAITING_FIX = {
}


def _param(spec, i, case):
    name = f"{spec.name}-{i}"
    marks = [pytest.mark.xfail(reason=AWAITING_FIX[name], strict=True)] if (
        name in AWAITING_FIX) else []
    return pytest.param(spec, case, id=name, marks=marks)


@pytest.mark.parametrize("spec, case", [
    _param(spec, i, case)
    for spec in CHECKED for i, case in enumerate(spec.cases) if has_float_input(case)
])
def test_extreme_inputs_match_torch(spec, case):
    check_extremes(spec, case)


def test_every_spec_meets_extreme_inputs():
    """A spec with no float input to make extreme says why; no spec gives an empty reason."""
    unchecked = [spec.name for spec in CHECKED
                 if not any(has_float_input(case) for case in spec.cases)]
    assert not unchecked, f"specs with no float input and no reason in no_extremes: {unchecked}"
    exempt = [spec for spec in ALL_SPECS if spec.no_extremes]
    assert all(len(spec.no_extremes.split()) >= 3 for spec in exempt)
    assert len(exempt) <= len(ALL_SPECS) // 20, "exemptions should stay rare"
