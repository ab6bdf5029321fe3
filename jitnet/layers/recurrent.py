"""Recurrent layers over (batch, time, features): SimpleRNN, LSTM, GRU, on ``lax.scan``.

Weights follow Keras's layout, so they are interchangeable with Keras: ``kernel``
(features, k * units), ``recurrent_kernel`` (units, k * units) and ``bias``, with the gate
blocks in Keras's order (LSTM: i, f, c, o; GRU: z, r, h). The input projection of every
step is one matmul before the scan; the scan carries only the recurrent part.

``dropout`` / ``recurrent_dropout`` (training only) drop the same input features / state
units at every step of a sequence (one mask per sequence, as Keras does), the recurrent
mask applying to the state where it enters ``recurrent_kernel``.
"""
from __future__ import annotations

from .. import lax
from .. import numpy as jnp
from .. import random
from .module import Layer, expect_rank
from .resolve import get_activation, get_initializer


class _RNN(Layer):
    """Shared configuration, weights and time loop; subclasses define the cell ``_step``."""
    gates = 1              # blocks of ``units`` columns in the kernels
    state_names = ("h",)

    def __init__(self, units: int, activation="tanh", recurrent_activation="sigmoid",
                 use_bias: bool = True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, name=None, trainable: bool = True,
                 dtype=None):
        super().__init__(name=name, trainable=trainable, dtype=dtype)
        for what, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not 0.0 <= float(rate) < 1.0:
                raise ValueError(f"{type(self).__name__}: {what} must be in [0, 1), "
                                 f"got {rate!r}")
        self.dropout, self.recurrent_dropout = float(dropout), float(recurrent_dropout)
        if not isinstance(units, int) or units <= 0:
            raise ValueError(f"{type(self).__name__}: units must be a positive int, "
                             f"got {units!r}")
        get_activation(activation)
        get_activation(recurrent_activation)
        self.units = units
        self.activation, self.recurrent_activation = activation, recurrent_activation
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.recurrent_initializer = recurrent_initializer
        self.bias_initializer = bias_initializer
        self.return_sequences, self.return_state = return_sequences, return_state
        self.go_backwards = go_backwards

    def __call__(self, inputs, *states, initial_state=None, training=None, key=None):
        """Keras's call: ``layer(x, initial_state=[h] or [h, c])``. The states travel as
        extra positional inputs, so the functional API and ``apply(x, h, c)`` take them too."""
        if initial_state is not None:
            states += tuple(initial_state) if isinstance(initial_state, (list, tuple)) \
                else (initial_state,)
        return super().__call__(inputs, *states, training=training, key=key)

    def build(self, input_shape):
        if isinstance(input_shape, list):               # (x, initial states...)
            input_shape = input_shape[0]
        if len(input_shape) != 3:
            raise ValueError(f"{self.label} expects a rank-3 input (batch, time, "
                             f"features), got shape {tuple(input_shape)}")
        n = self.gates * self.units
        self.add_weight("kernel", (input_shape[-1], n), self.kernel_initializer)
        self.add_weight("recurrent_kernel", (self.units, n), self.recurrent_initializer)
        if self.use_bias:
            self.add_weight("bias", self._bias_shape(), self._bias_init())

    def _bias_shape(self) -> tuple:
        return (self.gates * self.units,)

    def _bias_init(self):
        return self.bias_initializer

    def _check_inputs(self, inputs):
        x = inputs[0]
        expect_rank(self, x, 3, "input (batch, time, features)")
        if x.shape[-1] != self.kernel.shape[0]:
            raise ValueError(f"{self.label} was built for {self.kernel.shape[0]} input "
                             f"features, got shape {tuple(x.shape)}")
        states = inputs[1:]
        want = (x.shape[0], self.units)
        if states and (len(states) != len(self.state_names)
                       or any(tuple(s.shape) != want for s in states)):
            raise ValueError(f"{self.label}: initial_state must be "
                             f"{len(self.state_names)} array(s) of shape {want} "
                             f"({', '.join(self.state_names)}), got shapes "
                             f"{[tuple(s.shape) for s in states]}")

    def _act(self, z):
        f = get_activation(self.activation)
        return z if f is None else f(z)

    def _ract(self, z):
        f = get_activation(self.recurrent_activation)
        return z if f is None else f(z)

    def _input_projection(self, xs):
        """x_t @ kernel (+ the input bias) for every step at once: (time, batch, k * units)."""
        proj = xs @ self.kernel
        return proj + self.bias if self.use_bias else proj

    def _mask(self, ctx, rate: float, shape, what: str):
        """A dropout multiplier (0 or 1 / (1 - rate)) in training, else None."""
        if not ctx.training or rate == 0.0:
            return None
        keep = random.bernoulli(ctx.next_key(f"{self.label} {what}"), 1.0 - rate, shape)
        return keep.astype(self.kernel.dtype) / (1.0 - rate)

    def call(self, x, *initial_state, ctx):
        batch = x.shape[0]
        in_mask = self._mask(ctx, self.dropout, (batch, x.shape[-1]), "dropout")
        rec_mask = self._mask(ctx, self.recurrent_dropout, (batch, self.units),
                              "recurrent_dropout")
        if in_mask is not None:
            x = x * in_mask[:, None, :]
        xs = jnp.swapaxes(x, 0, 1)                     # time major for the scan
        if self.go_backwards:
            xs = jnp.flip(xs, 0)
        zero = jnp.zeros((batch, self.units), x.dtype)
        init = tuple(s.astype(x.dtype) for s in initial_state) if initial_state else \
            tuple(zero for _ in self.state_names)

        def step(state, proj):
            h_in = state[0] if rec_mask is None else state[0] * rec_mask
            state = self._step(state, h_in, proj)
            return state, state[0]

        final, hs = lax.scan(step, init, self._input_projection(xs))
        out = jnp.swapaxes(hs, 0, 1) if self.return_sequences else final[0]
        return (out,) + tuple(final) if self.return_state else out


class SimpleRNN(_RNN):
    """``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``."""

    def _step(self, state, h_in, proj):
        return (self._act(proj + h_in @ self.recurrent_kernel),)


class LSTM(_RNN):
    """Long short-term memory with Keras's equations: ``z = x_t @ kernel + h @ recurrent_kernel
    + bias`` split into gates i, f, c, o; ``c_t = f * c + i * activation(c~)``,
    ``h_t = o * activation(c_t)`` (i, f, o through ``recurrent_activation``).
    ``unit_forget_bias`` starts the forget gate's bias at 1. State: (h, c)."""
    gates = 4
    state_names = ("h", "c")

    def __init__(self, units: int, activation="tanh", recurrent_activation="sigmoid",
                 use_bias: bool = True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias: bool = True, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, return_sequences: bool = False,
                 return_state: bool = False, go_backwards: bool = False, name=None,
                 trainable: bool = True, dtype=None):
        super().__init__(units, activation, recurrent_activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, dropout, recurrent_dropout,
                         return_sequences, return_state, go_backwards, name=name,
                         trainable=trainable, dtype=dtype)
        self.unit_forget_bias = unit_forget_bias

    def _bias_init(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        base, u = get_initializer(self.bias_initializer), self.units

        def init(key, shape, dtype):
            b = base(key, shape, dtype)
            return jnp.concatenate([b[:u], jnp.ones((u,), dtype), b[2 * u:]])
        return init

    def _step(self, state, h_in, proj):
        c = state[1]
        i, f, g, o = jnp.split(proj + h_in @ self.recurrent_kernel, 4, axis=-1)
        c = self._ract(f) * c + self._ract(i) * self._act(g)
        return self._ract(o) * self._act(c), c


class GRU(_RNN):
    """Gated recurrent unit with Keras's equations, gates z, r, h. ``reset_after=True``
    (Keras 3's default, cuDNN-compatible) applies the reset gate after the recurrent matmul
    and keeps separate input and recurrent biases: ``bias`` has shape (2, 3 * units).
    ``h_t = z * h_{t-1} + (1 - z) * h~``."""
    gates = 3

    def __init__(self, units: int, activation="tanh", recurrent_activation="sigmoid",
                 use_bias: bool = True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, reset_after: bool = True, name=None,
                 trainable: bool = True, dtype=None):
        super().__init__(units, activation, recurrent_activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, dropout, recurrent_dropout,
                         return_sequences, return_state, go_backwards, name=name,
                         trainable=trainable, dtype=dtype)
        self.reset_after = reset_after

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_projection(self, xs):
        proj = xs @ self.kernel
        if not self.use_bias:
            return proj
        return proj + (self.bias[0] if self.reset_after else self.bias)

    def _step(self, state, h_in, proj):
        h = state[0]
        u = self.units
        x_z, x_r, x_h = jnp.split(proj, 3, axis=-1)
        if self.reset_after:
            inner = h_in @ self.recurrent_kernel
            if self.use_bias:
                inner = inner + self.bias[1]
            r_z, r_r, r_h = jnp.split(inner, 3, axis=-1)
            z, r = self._ract(x_z + r_z), self._ract(x_r + r_r)
            candidate = self._act(x_h + r * r_h)
        else:
            r_z, r_r = jnp.split(h_in @ self.recurrent_kernel[:, :2 * u], 2, axis=-1)
            z, r = self._ract(x_z + r_z), self._ract(x_r + r_r)
            candidate = self._act(x_h + (r * h_in) @ self.recurrent_kernel[:, 2 * u:])
        return (z * h + (1 - z) * candidate,)


class Bidirectional(Layer):
    """Runs a recurrent ``layer`` forwards and a copy of it backwards and merges the outputs
    (Keras's wrapper). With ``return_sequences`` the backward outputs are flipped back into
    time order first, so step t of both halves describes input step t. ``merge_mode``:
    "concat" (default), "sum", "mul", "ave" or None (the two outputs as a list). With
    ``return_state`` the states follow the output: forward ones, then backward ones."""

    _MERGES = ("concat", "sum", "mul", "ave", None)

    def __init__(self, layer, merge_mode="concat", backward_layer=None, name=None,
                 trainable: bool = True):
        super().__init__(name=name, trainable=trainable, dtype=getattr(layer, "dtype_policy", None))
        if not isinstance(layer, _RNN):
            raise TypeError(f"Bidirectional wraps a SimpleRNN, LSTM or GRU, got "
                            f"{type(layer).__name__}")
        if merge_mode not in self._MERGES:
            raise ValueError(f"Bidirectional: merge_mode must be one of {self._MERGES}, "
                             f"got {merge_mode!r}")
        if backward_layer is None:
            config = dict(layer.get_config(), go_backwards=not layer.go_backwards,
                          name=f"backward_{layer.name}" if layer.name else None)
            backward_layer = type(layer)(**config)
        elif not isinstance(backward_layer, _RNN) or \
                backward_layer.go_backwards == layer.go_backwards or \
                (backward_layer.return_sequences, backward_layer.return_state) != \
                (layer.return_sequences, layer.return_state):
            raise ValueError("Bidirectional: backward_layer must be a recurrent layer with the "
                             "opposite go_backwards and the same return_sequences and "
                             "return_state")
        self.forward_layer, self.backward_layer = layer, backward_layer
        self.merge_mode = merge_mode

    def get_config(self) -> dict:
        return dict(super().get_config(), layer=self.forward_layer)

    def call(self, x, *initial_state):
        half = len(initial_state) // 2
        fwd = self.forward_layer(x, *initial_state[:half])
        bwd = self.backward_layer(x, *initial_state[half:])
        states = ()
        if self.forward_layer.return_state:
            fwd, *f_states = fwd
            bwd, *b_states = bwd
            states = tuple(f_states) + tuple(b_states)
        if self.forward_layer.return_sequences:
            bwd = jnp.flip(bwd, 1)
        if self.merge_mode == "concat":
            out = jnp.concatenate([fwd, bwd], axis=-1)
        elif self.merge_mode == "sum":
            out = fwd + bwd
        elif self.merge_mode == "mul":
            out = fwd * bwd
        elif self.merge_mode == "ave":
            out = (fwd + bwd) / 2
        else:
            out = (fwd, bwd)
        if not states:
            return out
        return (out if isinstance(out, tuple) else (out,)) + states
