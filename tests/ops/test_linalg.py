"""Matrix products through the harness, 1-D and batched cases included."""

from tests.ops.harness import F, OpSpec, spec_tests

SPECS = [
    OpSpec("matmul", lambda m, a, b: m.matmul(a, b),
           [(F(2, 3), F(3, 4)), (F(3), F(3, 4)), (F(2, 3), F(3)), (F(3), F(3)),
            (F(2, 2, 3), F(3, 4)), (F(2, 1, 2, 3), F(3, 3, 2)), (F(4), F(2, 4, 3)),
            (F(2, 4, 3), F(3))]),
    OpSpec("matmul:operator", lambda m, a, b: a @ b, [(F(2, 3), F(3, 2))]),
    OpSpec("mm", lambda m, a, b: m.mm(a, b), [(F(2, 3), F(3, 4))]),
    OpSpec("linear", lambda m, x, w, b: m.nn.functional.linear(x, w, b),
           [(F(5, 3), F(4, 3), F(4)), (F(2, 5, 3), F(4, 3), F(4)), (F(3), F(2, 3), F(2)),
            (F(5, 3), F(4, 3), None)]),
]


test_gradcheck, test_matches_torch = spec_tests(SPECS)
