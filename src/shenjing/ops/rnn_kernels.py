"""The loops over time of the fused recurrent layer, on raw arrays (``xp`` is NumPy or CuPy).

For each kind of cell a class with a forward and a backward (backpropagation through time).
Outside, shapes are PyTorch's: x (T, N, I), states (N, H), weights (G*H, I) and (G*H, H) for G
gates. Inside the loop everything is transposed, features by batch: states (H, N), gates
(G*H, N). The matrix product of a step is then ``W_hh @ h``, (G*H, H) @ (H, N), which BLAS runs
about 1.5 times faster than ``h @ W_hh^T`` for a small batch, and each gate is a block of
contiguous rows.

States live in one buffer ``hs`` (T+1, H, N): going forwards the state before step t is
``hs[t]`` and the one after ``hs[t + 1]``; in reverse they are ``hs[t + 1]`` and ``hs[t]``.

Each forward returns ``(y, h_n, c_n, hs, cache)``; each backward takes ``hs``, the cache and the
output gradients and returns ``(gxw, ghw, gh0, gc0)``: the gradients of the input projection
``x W_ih^T + b_ih`` and of the recurrent one ``h W_hh^T + b_hh`` at all steps as (G*H, T*N)
matrices, from which the caller forms the weight gradients with one matrix product each.
The big buffers (``hs``, the cache, those matrices) come from ``POOL``; whoever holds them last
gives them back, so that the next call writes into memory that is already mapped.

The sigmoid is computed as ``(1 + tanh(v / 2)) / 2``: with the sigmoid gates' rows of the weights
halved, one tanh call covers all the gates of a step, and it never overflows.
"""

from __future__ import annotations

from shenjing.backend.pool import POOL


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
    """A (G, T*N) pool buffer, and its (G, T, N) view whose ``[:, t]`` is step t's (G, N) block.

    Backward writes each step's gradient into its block, so that the weight gradient is then
    one matrix product over all steps.
    """
    out = POOL.take(xp, (G, T * N), dtype)
    return out, out.reshape(G, T, N)


def _project(xp, x, w):
    """``x W^T`` for every step, transposed: (T, N, I) -> (T, G*H, N), a pool buffer."""
    T, N, _ = x.shape
    return xp.matmul(w, x.transpose(0, 2, 1), out=POOL.take(xp, (T, w.shape[0], N), x.dtype))


def _halves(xp, H: int, blocks: str, dtype):
    """A column of 0.5 for the rows of sigmoid gates ('s') and 1 for tanh gates ('t')."""
    scale = xp.ones((len(blocks) * H, 1), dtype=dtype)
    for k, kind in enumerate(blocks):
        if kind == "s":
            scale[k * H:(k + 1) * H] = 0.5
    return scale


def _block(xp, column, N: int):
    """A (G, 1) column repeated to (G, N): adding a same-shaped array is a flat loop, 2.5 times
    faster than broadcasting a column over rows of 32."""
    return xp.ascontiguousarray(xp.broadcast_to(column, (column.shape[0], N)))


class Kernel:
    """A kind of cell's loops over time; ``gates`` is the number of gate blocks in the weights."""

    gates = 1

    @staticmethod
    def previous_states(xp, hs, reverse: bool):
        """Each step's previous state as a (H, T*N) pool buffer, matching ``_columns``."""
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
        xw = _project(xp, x, w_ih)
        b = _block(xp, (b_ih + b_hh)[:, None], N) if b_ih is not None else None
        hs = _states(xp, h0, T, reverse)
        for t, prev, nxt in _order(T, reverse):
            h = hs[nxt]
            xp.matmul(w_hh, hs[prev], out=h)
            h += xw[t]
            if b is not None:
                h += b
            if cls.relu:
                xp.maximum(h, 0, out=h)
            else:
                xp.tanh(h, out=h)
        POOL.give(xw)
        y, h_n = _ends(xp, hs, reverse)
        return y, h_n, None, hs, ()

    @classmethod
    def backward(cls, xp, hs, cache, gy, gh, gc, w_hh, reverse):
        gy = _steps(xp, gy)
        T, H, N = gy.shape
        columns, steps = _columns(xp, H, T, N, gy.dtype)
        dh = gh.T.copy()  # updated in place: never the caller's array, even when N or H is 1
        slope = xp.empty((H, N), dtype=gy.dtype)
        w = xp.ascontiguousarray(w_hh.T)
        for t, _, nxt in reversed(_order(T, reverse)):
            dh += gy[t]
            h = hs[nxt]
            if cls.relu:
                xp.greater(h, 0, out=slope)
            else:
                xp.multiply(h, h, out=slope)
                xp.subtract(1, slope, out=slope)
            xp.multiply(dh, slope, out=steps[:, t])
            xp.matmul(w, steps[:, t], out=dh)
        POOL.give(gy)
        return columns, columns, dh.T, None


class LSTM(Kernel):
    """Gates i, f, g, o; c' = f c + i g; h' = o tanh(c')."""

    gates = 4

    @staticmethod
    def forward(xp, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse):
        T, N, _ = x.shape
        H = w_hh.shape[1]
        half = _halves(xp, H, "ssts", x.dtype)
        gates = _project(xp, x, w_ih * half)  # becomes the activations, in place
        b = _block(xp, (b_ih + b_hh)[:, None] * half, N) if b_ih is not None else None
        w = w_hh * half
        hs, cs = _states(xp, h0, T, reverse), _states(xp, c0, T, reverse)
        tanh_c = POOL.take(xp, (T, H, N), x.dtype)
        # (1 + tanh) / 2 = tanh * 0.5 + 0.5 on the sigmoid gates; the tanh gate stays
        half, shift = _block(xp, half, N), _block(xp, 1 - half, N)
        wh = xp.empty((4 * H, N), dtype=x.dtype)
        ig = xp.empty((H, N), dtype=x.dtype)
        for t, prev, nxt in _order(T, reverse):
            a = gates[t]
            xp.matmul(w, hs[prev], out=wh)
            a += wh
            if b is not None:
                a += b
            xp.tanh(a, out=a)
            a *= half
            a += shift
            i, f, g, o = a[:H], a[H:2 * H], a[2 * H:3 * H], a[3 * H:]
            c = cs[nxt]
            xp.multiply(f, cs[prev], out=c)
            xp.multiply(i, g, out=ig)
            c += ig
            xp.tanh(c, out=tanh_c[t])
            xp.multiply(o, tanh_c[t], out=hs[nxt])
        y, h_n = _ends(xp, hs, reverse)
        c_n = cs[0 if reverse else T].T.copy()  # a copy: cs goes back to the pool
        return y, h_n, c_n, hs, (gates, cs, tanh_c)


    @staticmethod
    def backward(xp, hs, cache, gy, gh, gc, w_hh, reverse):
        gates, cs, tanh_c = cache
        gy = _steps(xp, gy)
        T, G, N = gates.shape
        H = G // 4
        columns, steps = _columns(xp, G, T, N, gates.dtype)
        d = xp.empty((G, N), dtype=gates.dtype)
        slope = xp.empty((G, N), dtype=gates.dtype)
        dc_h = xp.empty((H, N), dtype=gates.dtype)
        dh, dc = gh.T.copy(), gc.T.copy()  # updated in place: never the caller's arrays
        w = xp.ascontiguousarray(w_hh.T)
        for t, prev, _ in reversed(_order(T, reverse)):
            a, tc = gates[t], tanh_c[t]
            i, f, g, o = a[:H], a[H:2 * H], a[2 * H:3 * H], a[3 * H:]
            dh += gy[t]
            # dc += dh o (1 - tanh(c)^2)
            xp.multiply(tc, tc, out=dc_h)
            xp.subtract(1, dc_h, out=dc_h)
            dc_h *= o
            dc_h *= dh
            dc += dc_h
            # d(activation): dc g, dc c_prev, dc i, dh tanh(c) ...
            xp.multiply(dc, g, out=d[:H])
            xp.multiply(dc, cs[prev], out=d[H:2 * H])
            xp.multiply(dc, i, out=d[2 * H:3 * H])
            xp.multiply(dh, tc, out=d[3 * H:])
            # ... times the activations' slopes: s (1 - s) for sigmoid gates, 1 - g^2 for g
            xp.subtract(1, a, out=slope)
            slope *= a
            sg = slope[2 * H:3 * H]
            xp.multiply(g, g, out=sg)
            xp.subtract(1, sg, out=sg)
            xp.multiply(d, slope, out=steps[:, t])
            dc *= f
            xp.matmul(w, steps[:, t], out=dh)
        POOL.give(gy)
        return columns, columns, dh.T, dc.T


class GRU(Kernel):
    """Gates r, z, n; n = tanh(x W_in + b_in + r (h W_hn + b_hn)); h' = n + z (h - n)."""

    gates = 3

    @staticmethod
    def forward(xp, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse):
        T, N, _ = x.shape
        H = w_hh.shape[1]
        half = _halves(xp, H, "sst", x.dtype)
        gates = _project(xp, x, w_ih * half)
        w = w_hh * half
        b_x = _block(xp, b_ih[:, None] * half, N) if b_ih is not None else None
        b = _block(xp, b_hh[:, None] * half, N) if b_hh is not None else None
        # h W_hh^T + b_hh of each step: its n block is needed in backward
        hw = POOL.take(xp, gates.shape, gates.dtype)
        hs = _states(xp, h0, T, reverse)
        for t, prev, nxt in _order(T, reverse):
            h, a, r_h = hs[prev], gates[t], hw[t]
            xp.matmul(w, h, out=r_h)
            if b is not None:
                r_h += b
            if b_x is not None:
                a += b_x
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
        return y, h_n, None, hs, (gates, hw)


    @staticmethod
    def backward(xp, hs, cache, gy, gh, gc, w_hh, reverse):
        gates, hw = cache
        gy = _steps(xp, gy)
        T, G, N = gates.shape
        H = G // 3
        gx, gx_steps = _columns(xp, G, T, N, gates.dtype)
        ghw, ghw_steps = _columns(xp, G, T, N, gates.dtype)
        dx, dw = xp.empty((G, N), dtype=gates.dtype), xp.empty((G, N), dtype=gates.dtype)
        dh = gh.T.copy()  # updated in place: never the caller's array
        tmp = xp.empty((H, N), dtype=gates.dtype)
        w = xp.ascontiguousarray(w_hh.T)
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
        return gx, ghw, dh.T, None


class ElmanReLU(Elman):
    """h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh)."""

    relu = True


KERNELS = {"RNN_TANH": Elman, "RNN_RELU": ElmanReLU, "LSTM": LSTM, "GRU": GRU}
