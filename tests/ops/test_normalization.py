"""Batch norm, layer norm and PReLU through the harness."""

from tests.ops.harness import F, OpSpec, spec_tests


def batch_norm_training(m, x, w, b):
    return m.nn.functional.batch_norm(x, None, None, w, b, training=True)


def batch_norm_eval(m, x, w, b, mean, var):
    return m.nn.functional.batch_norm(x, mean, var, w, b, training=False)


SPECS = [
    OpSpec("batch_norm", batch_norm_training,
           [(F(6, 3), F(3), F(3)), (F(4, 3, 5), F(3), F(3)), (F(5, 2), None, None)],
           atol=1e-4),
    OpSpec("batch_norm:eval", batch_norm_eval,
           [(F(6, 3), F(3), F(3), F(3, requires_grad=False),
             F(3, low=0.5, high=2.0, requires_grad=False))]),
    OpSpec("layer_norm", lambda m, x, shape, w, b: m.nn.functional.layer_norm(x, shape, w, b),
           [(F(4, 5), (5,), F(5), F(5)), (F(2, 3, 4), (3, 4), F(3, 4), F(3, 4)),
            (F(3, 6), (6,), None, None)], atol=1e-4,
           finer_than_torch="a row holding +-1e30: its variance overflows float32 and "
                            "PyTorch's layer norm gives NaN, shenjing's a finite result"),
    OpSpec("prelu", lambda m, x, w: m.nn.functional.prelu(x, w),
           [(F(3, 4, avoid=(0.0,)), F(1)), (F(2, 3, 5, avoid=(0.0,)), F(3)),
            (F(4, avoid=(0.0,)), F(1))]),
]


test_gradcheck, test_matches_torch = spec_tests(SPECS)
