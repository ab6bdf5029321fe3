"""``model.summary()``: Keras's table of layers, output shapes and parameter counts."""
from __future__ import annotations

from .. import ShapeDtypeStruct
from ..tree_util import tree_leaves
from .module import Context, count_params, partition, run_in_context


def _shape_str(out) -> str:
    shapes = [(None,) + tuple(a.shape[1:]) for a in tree_leaves(out)]
    return ", ".join(str(s) for s in shapes) if len(shapes) != 1 else str(shapes[0])


def summary(model, print_fn=print, line_length: int = 80) -> None:
    specs = model.input_specs()
    if not model.built:
        raise ValueError(f"{model.name}: summary() needs a built model: call "
                         "model.init(key, sample_input) or fit() first, or start a Sequential "
                         "with jitnet.layers.Input(shape)")
    if specs is None:
        raise ValueError(f"{model.name}: the input shape is unknown; build with model.init")
    ctx = Context(training=False)
    ctx.calls = []
    run_in_context(ctx, model, [ShapeDtypeStruct(tuple(1 if d is None else d for d in s), dt)
                                for s, dt in specs])
    direct = {id(l) for l in model.sublayers()}
    rows, seen = [], set()
    for layer, out in ctx.calls:
        if id(layer) in direct:
            shared = id(layer) in seen
            seen.add(id(layer))
            rows.append((f"{layer.name} ({type(layer).__name__})", _shape_str(out),
                         "0 (shared)" if shared else f"{count_params(layer):,}"))
    trainable, rest = partition(model)
    n_train, n_rest = count_params(trainable), count_params(rest)
    w = [max(line_length * 2 // 5, 20), max(line_length * 2 // 5, 20)]
    w.append(max(line_length - sum(w), 12))

    def line(cols):
        return (cols[0].ljust(w[0]) + cols[1].ljust(w[1]) + cols[2].rjust(w[2]))
    print_fn(f'Model: "{model.name or type(model).__name__.lower()}"')
    print_fn("_" * sum(w))
    print_fn(line(("Layer (type)", "Output Shape", "Param #")))
    print_fn("=" * sum(w))
    for r in rows:
        print_fn(line(r))
    print_fn("=" * sum(w))
    print_fn(f"Total params: {n_train + n_rest:,}")
    print_fn(f"Trainable params: {n_train:,}")
    print_fn(f"Non-trainable params: {n_rest:,}")
    print_fn("_" * sum(w))
