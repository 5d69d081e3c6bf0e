"""The loops over time of the fused recurrent layer, on raw arrays (``xp`` is NumPy or CuPy).

For each kind of cell a class with a forward and a backward (backpropagation through time).
Outside, shapes are PyTorch's: x (T, N, I), states (N, H), weights (G*H, I) and (G*H, H) for G
gates. Inside the loop everything is transposed, features by batch: states (H, N), gates
(G*H, N). The matrix product of a step is then ``W_hh @ h``, (G*H, H) @ (H, N), which BLAS runs
about 1.5 times faster than ``h @ W_hh^T`` for a small batch, and each gate is a block of
contiguous rows.

States live in one buffer ``hs`` (T+1, H, N): going forwards the state before step t is
``hs[t]`` and the one after ``hs[t + 1]``; in reverse they are ``hs[t + 1]`` and ``hs[t]``.

Each forward takes the layer's inputs and returns ``(y, h_n, c_n, buffers)``: ``buffers`` are
what its backward needs, ``hs`` first. Each backward takes those buffers, the input and weights,
the output gradients and which inputs need a gradient, and returns the gradients of
``(x, h0, c0, W_ih, W_hh, b_ih, b_hh)``. Within it, the loop writes the gradients of the input
projection ``x W_ih^T + b_ih`` and of the recurrent one ``h W_hh^T + b_hh`` at every step into
(G*H, T*N) matrices, and ``_parameter_gradients`` forms the rest with one product each.
The big buffers come from ``POOL``; whoever holds them last gives them back, so that the next
call writes into memory that is already mapped.

The sigmoid is computed as ``(1 + tanh(v / 2)) / 2``: with the sigmoid gates' rows of the weights
halved, one tanh call covers all the gates of a step, and it never overflows. The biases of the
input projection ride in its matrix product (``_project``).
"""

from __future__ import annotations

from shenjing.backend.pool import POOL
from shenjing.ops.elementwise import _SAME_SIZE_INT


def _order(T: int, reverse: bool):
    """Steps in processing order, each with the buffer positions of its previous and next state."""
    if reverse:
        return [(t, t + 1, t) for t in range(T - 1, -1, -1)]
    return [(t, t, t + 1) for t in range(T)]


def _states(xp, state, T: int, reverse: bool):
    """The state buffer (T+1, H, N), holding the initial state (N, H) where the loop starts."""
    N, H = state.shape
    hs = POOL.take(xp, (T + 1, H, N), state.dtype)
    hs[T if reverse else 0] = state.T
    return hs


def _ends(xp, hs, reverse: bool):
    """The outputs (T, N, H) and the last state (N, H), PyTorch's layout, from the buffer.

    Always copies (``ascontiguousarray`` would not, for a batch of 1): the buffer goes back to
    the pool, and what is returned must not change when it is lent again.
    """
    T = hs.shape[0] - 1
    y = hs[:T] if reverse else hs[1:]
    return y.transpose(0, 2, 1).copy(), hs[0 if reverse else T].T.copy()


def _steps(xp, a):
    """(T, N, H) -> (T, H, N), a pool buffer."""
    T, N, H = a.shape
    out = POOL.take(xp, (T, H, N), a.dtype)
    out[...] = a.transpose(0, 2, 1)
    return out


def _columns(xp, G: int, T: int, N: int, dtype):
    """A (G, T*N) matrix, and its (G, T, N) view whose ``[:, t]`` is step t's (G, N) block.

    Backward writes each step's gradient into its block, so that the weight gradient is then
    one matrix product over all steps. The matrix is a view of a pool buffer whose rows are a
    little longer: rows 2^k bytes apart would all fall in the same few cache sets, and writing
    a step's block, one short run per row, would then keep evicting itself.
    """
    length = T * N + 16
    if length & (length - 1) == 0:  # a power of two after all
        length += 16
    buffer = POOL.take(xp, (G, length), dtype)
    matrix = buffer[:, :T * N]
    return matrix, matrix.reshape(G, T, N)


def _project(xp, x, w, bias=None):
    """``x W^T + bias`` for every step, transposed: (T, N, I) -> (T, G*H, N), a pool buffer.

    ``bias`` is a (G*H, 1) column: it rides in the matrix product, as a last column of the
    weights against a row of ones under each step's inputs, instead of a pass over every step.
    """
    T, N, I = x.shape
    inputs = x.transpose(0, 2, 1)
    if bias is not None:
        inputs = POOL.take(xp, (T, I + 1, N), x.dtype)
        inputs[:, :I] = x.transpose(0, 2, 1)
        inputs[:, I] = 1
        w = xp.concatenate([w, bias], axis=1)
    out = xp.matmul(w, inputs, out=POOL.take(xp, (T, w.shape[0], N), x.dtype))
    if bias is not None:
        POOL.give(inputs)
    return out


def _halves(xp, H: int, blocks: str, dtype):
    """A column of 0.5 for the rows of sigmoid gates ('s') and 1 for tanh gates ('t')."""
    return _column(xp, H, [0.5 if kind == "s" else 1 for kind in blocks], dtype)


def _column(xp, H: int, values, dtype):
    """A (len(values) * H, 1) column: ``values[k]`` on the rows of gate block k."""
    column = xp.empty((len(values) * H, 1), dtype=dtype)
    for k, value in enumerate(values):
        column[k * H:(k + 1) * H] = value
    return column


def _parameter_gradients(xp, x, hs, reverse, gxw, ghw, w_x, needs, restore=None):
    """The gradients of x, W_ih, W_hh, b_ih and b_hh, one matrix product each.

    ``gxw`` and ``ghw`` (G*H, T*N) hold the gradients of the two projections at every step;
    ``x`` is the input (T, N, I), ``w_x`` the matrix that maps ``gxw`` to the input's gradient.
    ``restore``, when given, rescales a result with G*H rows (the LSTM's sigmoid rows).
    ``needs`` are the needs of (x, h0, c0, W_ih, W_hh, b_ih, b_hh). Gives ``gxw``, ``ghw`` back.
    """
    T, N, I = x.shape
    restore = restore or (lambda g: g)
    gx = xp.matmul(gxw.T, w_x).reshape(T, N, I) if needs[0] else None
    gw_ih = restore(xp.matmul(gxw, x.reshape(T * N, I))) if needs[3] else None
    gw_hh = gb_ih = gb_hh = None
    if needs[4]:
        states = Kernel.previous_states(xp, hs, reverse)  # (H, T*N)
        gw_hh = restore(xp.matmul(ghw, states.T))
        POOL.give(states.base)
    # Bias gradients: sums over all steps, as products with a vector of ones, which BLAS runs
    # about six times faster than NumPy's sum along the rows of a wide matrix.
    ones = xp.ones(T * N, dtype=gxw.dtype)
    if needs[5]:
        gb_ih = restore(xp.matmul(gxw, ones))
    if needs[6]:  # for RNN and LSTM the two projections' gradients are one array
        gb_hh = gb_ih.copy() if ghw is gxw and needs[5] else restore(xp.matmul(ghw, ones))
    POOL.give(gxw.base, ghw.base)  # the buffers behind the matrices of ``_columns``
    return gx, gw_ih, gw_hh, gb_ih, gb_hh


def _transposed(xp, w, scale=None, rows: int = 32):
    """``(w * scale).T`` as a new C-contiguous array; ``scale`` is a column or None.

    Copied a band of rows at a time: NumPy's own transposing copy of a whole (4H, H) matrix
    strides through memory and is three to four times slower.
    """
    out = xp.empty(w.shape[::-1], dtype=w.dtype)
    for start in range(0, w.shape[0], rows):
        band = slice(start, start + rows)
        if scale is None:
            out[:, band] = w[band].T
        else:
            xp.multiply(w[band].T, scale[band].T, out=out[:, band])
    return out


def _block(xp, column, N: int):
    """A (G, 1) column repeated to (G, N): adding a same-shaped array is a flat loop, 2.5 times
    faster than broadcasting a column over rows of 32."""
    return xp.ascontiguousarray(xp.broadcast_to(column, (column.shape[0], N)))


class Kernel:
    """A kind of cell's loops over time; ``gates`` is the number of gate blocks in the weights."""

    gates = 1

    @staticmethod
    def previous_states(xp, hs, reverse: bool):
        """Each step's previous state as a (H, T*N) matrix laid out as ``_columns``' (a view
        of a pool buffer: give back its ``base``)."""
        T, H, N = hs.shape[0] - 1, hs.shape[1], hs.shape[2]
        out, steps = _columns(xp, H, T, N, hs.dtype)
        steps[...] = (hs[1:] if reverse else hs[:-1]).transpose(1, 0, 2)
        return out


class Elman(Kernel):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh); ``ElmanReLU`` with ReLU."""

    relu = False

    @classmethod
    def forward(cls, xp, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse):
        T, N, _ = x.shape
        bias = None if b_ih is None else (b_ih + b_hh)[:, None]
        xw = _project(xp, x, w_ih, bias)
        hs = _states(xp, h0, T, reverse)
        for t, prev, nxt in _order(T, reverse):
            h = hs[nxt]
            xp.matmul(w_hh, hs[prev], out=h)
            h += xw[t]
            if cls.relu:
                xp.maximum(h, 0, out=h)
            else:
                xp.tanh(h, out=h)
        POOL.give(xw)
        y, h_n = _ends(xp, hs, reverse)
        return y, h_n, None, (hs,)

    @classmethod
    def backward(cls, xp, buffers, x, w_ih, w_hh, gy, gh, gc, reverse, needs):
        hs, = buffers
        gy = _steps(xp, gy)
        T, H, N = gy.shape
        columns, steps = _columns(xp, H, T, N, gy.dtype)
        dh = gh.T.copy()  # updated in place: never the caller's array, even when N or H is 1
        if cls.relu:
            keep = xp.empty((H, N), dtype=bool)
            ints = _SAME_SIZE_INT[gy.dtype.itemsize]
        else:
            slope = xp.empty((H, N), dtype=gy.dtype)
        w = _transposed(xp, w_hh)
        for t, _, nxt in reversed(_order(T, reverse)):
            dh += gy[t]
            h = hs[nxt]
            if cls.relu:
                # dh where h > 0 or is NaN (PyTorch drops it where h <= 0), a select: dh times
                # the mask would be NaN for an infinite dh. h is a ReLU's output, never below
                # 0, so h != 0 is that mask; the select multiplies dh's bits by it as integers,
                # one pass, as fast as the float product.
                xp.not_equal(h, 0, out=keep)
                xp.multiply(dh.view(ints), keep, out=steps[:, t].view(ints))
            else:
                xp.multiply(h, h, out=slope)
                xp.subtract(1, slope, out=slope)
                xp.multiply(dh, slope, out=steps[:, t])
            xp.matmul(w, steps[:, t], out=dh)
        POOL.give(gy)
        gx, *grads = _parameter_gradients(xp, x, hs, reverse, columns, columns, w_ih, needs)
        return (gx, dh.T, None, *grads)


class LSTM(Kernel):
    """Gates i, f, g, o; c' = f c + i g; h' = o tanh(c').

    Forward also keeps, while a step's values are in cache, what backward multiplies dh and dc
    by: each gate's slope times the factor the gate meets (``slopes``: dL/di = dc g, dL/df =
    dc c, with c the previous cell state, dL/dg = dc i, dL/do = dh tanh(c')) and
    o (1 - tanh(c')^2) (``carry``). Backward is then six array calls a step besides the matrix
    product, where computing all that from the activations took sixteen. The price is memory:
    a layer keeps about 10 T*H*N numbers between forward and backward, against 7 before.

    The slopes kept are those of tanh, 1 - u^2, also for the sigmoid gates, whose slope with
    respect to their pre-activation is a quarter of that (sigmoid(z) = (1 + tanh(z/2)) / 2).
    So backward computes the gradients of the pre-activations with the sigmoid rows times 4,
    and the quarter is applied to the weights and to the gradients formed from them, which is
    cheaper than a pass over every step.
    """

    gates = 4

    @staticmethod
    def forward(xp, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse):
        T, N, _ = x.shape
        H = w_hh.shape[1]
        half = _halves(xp, H, "ssts", x.dtype)  # the sigmoid gates' pre-activations, halved
        bias = None if b_ih is None else (b_ih + b_hh)[:, None] * half
        gates = _project(xp, x, w_ih * half, bias)  # becomes the activations, in place
        w = w_hh * half
        hs, cs = _states(xp, h0, T, reverse), _states(xp, c0, T, reverse)
        slopes = POOL.take(xp, gates.shape, x.dtype)
        carry = POOL.take(xp, (T, H, N), x.dtype)
        wh = xp.empty((4 * H, N), dtype=x.dtype)
        ig = xp.empty((H, N), dtype=x.dtype)
        tanh_c = xp.empty((H, N), dtype=x.dtype)
        for t, prev, nxt in _order(T, reverse):
            a, k, q = gates[t], slopes[t], carry[t]
            xp.matmul(w, hs[prev], out=wh)
            a += wh
            xp.tanh(a, out=a)
            xp.multiply(a, a, out=k)
            xp.subtract(1, k, out=k)  # 1 - u^2
            for sigmoids in a[:2 * H], a[3 * H:]:  # (1 + tanh) / 2
                sigmoids *= 0.5
                sigmoids += 0.5
            i, f, g, o = a[:H], a[H:2 * H], a[2 * H:3 * H], a[3 * H:]
            c, c_prev, h = cs[nxt], cs[prev], hs[nxt]
            xp.multiply(f, c_prev, out=c)
            xp.multiply(i, g, out=ig)
            c += ig
            xp.tanh(c, out=tanh_c)
            xp.multiply(o, tanh_c, out=h)
            k[:H] *= g
            k[H:2 * H] *= c_prev
            k[2 * H:3 * H] *= i
            k[3 * H:] *= tanh_c
            xp.multiply(h, tanh_c, out=q)  # o (1 - tanh(c)^2) = o - h tanh(c)
            xp.subtract(o, q, out=q)
        y, h_n = _ends(xp, hs, reverse)
        c_n = cs[0 if reverse else T].T.copy()  # a copy: cs goes back to the pool
        POOL.give(cs)
        return y, h_n, c_n, (hs, gates, slopes, carry)

    @staticmethod
    def backward(xp, buffers, x, w_ih, w_hh, gy, gh, gc, reverse, needs):
        hs, gates, slopes, carry = buffers
        gy = _steps(xp, gy)
        T, G, N = gates.shape
        H = G // 4
        quarter = _column(xp, H, (0.25, 0.25, 1, 0.25), gates.dtype)
        columns, steps = _columns(xp, G, T, N, gates.dtype)
        blocks = steps.reshape(4, H, T, N)  # [:3, :, t]: the i, f, g rows of step t
        dh, dc = gh.T.copy(), gc.T.copy()  # updated in place: never the caller's arrays
        dc_h = xp.empty((H, N), dtype=gates.dtype)
        w = _transposed(xp, w_hh, quarter)
        for t, _, _ in reversed(_order(T, reverse)):
            k = slopes[t]
            dh += gy[t]
            xp.multiply(dh, carry[t], out=dc_h)
            dc += dc_h
            xp.multiply(k[:3 * H].reshape(3, H, N), dc, out=blocks[:3, :, t])
            xp.multiply(k[3 * H:], dh, out=blocks[3, :, t])
            dc *= gates[t][H:2 * H]  # f
            xp.matmul(w, steps[:, t], out=dh)
        POOL.give(gy)

        def restore(g):
            g *= quarter.reshape((-1,) + (1,) * (g.ndim - 1))
            return g

        gx, *grads = _parameter_gradients(xp, x, hs, reverse, columns, columns, w_ih * quarter,
                                          needs, restore)
        return (gx, dh.T, dc.T, *grads)


class GRU(Kernel):
    """Gates r, z, n; n = tanh(x W_in + b_in + r (h W_hn + b_hn)); h' = n + z (h - n)."""

    gates = 3

    @staticmethod
    def forward(xp, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse):
        T, N, _ = x.shape
        H = w_hh.shape[1]
        half = _halves(xp, H, "sst", x.dtype)
        gates = _project(xp, x, w_ih * half, None if b_ih is None else b_ih[:, None] * half)
        w = w_hh * half
        b = _block(xp, b_hh[:, None] * half, N) if b_hh is not None else None
        # h W_hh^T + b_hh of each step: its n block is needed in backward
        hw = POOL.take(xp, gates.shape, gates.dtype)
        hs = _states(xp, h0, T, reverse)
        for t, prev, nxt in _order(T, reverse):
            h, a, r_h = hs[prev], gates[t], hw[t]
            xp.matmul(w, h, out=r_h)
            if b is not None:
                r_h += b
            rz = a[:2 * H]
            rz += r_h[:2 * H]
            xp.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5
            r, z, n = a[:H], a[H:2 * H], a[2 * H:]
            n += r * r_h[2 * H:]
            xp.tanh(n, out=n)
            out = hs[nxt]
            xp.subtract(h, n, out=out)
            out *= z
            out += n
        y, h_n = _ends(xp, hs, reverse)
        return y, h_n, None, (hs, gates, hw)

    @staticmethod
    def backward(xp, buffers, x, w_ih, w_hh, gy, gh, gc, reverse, needs):
        hs, gates, hw = buffers
        gy = _steps(xp, gy)
        T, G, N = gates.shape
        H = G // 3
        gx, gx_steps = _columns(xp, G, T, N, gates.dtype)
        ghw, ghw_steps = _columns(xp, G, T, N, gates.dtype)
        dx, dw = xp.empty((G, N), dtype=gates.dtype), xp.empty((G, N), dtype=gates.dtype)
        dh = gh.T.copy()  # updated in place: never the caller's array
        tmp = xp.empty((H, N), dtype=gates.dtype)
        w = _transposed(xp, w_hh)
        for t, prev, _ in reversed(_order(T, reverse)):
            a, h = gates[t], hs[prev]
            r, z, n = a[:H], a[H:2 * H], a[2 * H:]
            dr, dz, dn = dx[:H], dx[H:2 * H], dx[2 * H:]
            dh += gy[t]
            # h' = n + z (h - n): dn = dh (1 - z), through tanh: * (1 - n^2)
            xp.subtract(1, z, out=dn)
            dn *= dh
            xp.multiply(n, n, out=tmp)
            xp.subtract(1, tmp, out=tmp)
            dn *= tmp
            # dz = dh (h - n) z (1 - z)
            xp.subtract(h, n, out=dz)
            dz *= dh
            xp.subtract(1, z, out=tmp)
            tmp *= z
            dz *= tmp
            # n's pre-activation holds r (h W_hn + b_hn): dr = dn (h W_hn + b_hn) r (1 - r)
            xp.multiply(dn, hw[t][2 * H:], out=dr)
            xp.subtract(1, r, out=tmp)
            tmp *= r
            dr *= tmp
            dw[:2 * H] = dx[:2 * H]
            xp.multiply(dn, r, out=dw[2 * H:])
            gx_steps[:, t] = dx
            ghw_steps[:, t] = dw
            dh *= z
            dh += xp.matmul(w, dw)
        POOL.give(gy)
        gx, *grads = _parameter_gradients(xp, x, hs, reverse, gx, ghw, w_ih, needs)
        return (gx, dh.T, None, *grads)


class ElmanReLU(Elman):
    """h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh)."""

    relu = True


KERNELS = {"RNN_TANH": Elman, "RNN_RELU": ElmanReLU, "LSTM": LSTM, "GRU": GRU}
