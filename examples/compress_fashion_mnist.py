"""Compress the Fashion-MNIST CNN of ``fashion_mnist.py``: int8 weights and 80% pruning.

    python examples/compress_fashion_mnist.py [--epochs 4] [--finetune-epochs 2]

1. trains the demo's CNN (``fashion_mnist.make_model``) and measures it;
2. quantizes its Dense/Conv kernels to int8 per output channel, saves and reloads the
   quantized model, and measures the dequantized model (size in memory and on disk);
3. wraps the trained model with ``prune_low_magnitude`` (polynomial decay to 80% sparsity
   over the first ~2/3 of the fine-tuning), fine-tunes it with ``UpdatePruningStep``,
   strips the wrappers and measures the sparse model (and its gzip-compressed file), then
   the sparse model quantized to int8;
4. with the ``onnx`` package: exports the float model (``jitnet.export.to_onnx``), rewrites
   it to int8 QDQ (``quantize_onnx``) and runs both in ONNX Runtime.
Prints one line per figure and, with ``--json``, writes them to a file (docs/COMPRESS.md).
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
import time

import numpy as np

import jitnet as jax
from jitnet import compress, losses, train
from jitnet.data import load_image_classification

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fashion_mnist import make_model  # noqa: E402


def compiled(model, lr):
    return model.compile(optimizer=jax.optim.get("adam", learning_rate=lr),
                         loss=losses.SparseCategoricalCrossentropy(from_logits=True),
                         metrics=["accuracy"], seed=0)


def accuracy(model, x, y) -> float:
    pred = model.predict(x, batch_size=500)
    return float(np.mean(pred.argmax(1) == y))


def gzip_bytes(path) -> int:
    with open(os.path.join(path, "arrays.safetensors"), "rb") as f:
        return len(gzip.compress(f.read(), 9))


def onnx_int8(model, qmodel, x, y, tmp, out) -> None:
    """Float and int8 QDQ ONNX files of ``model``: sizes, ONNX Runtime accuracy, agreement
    with jitnet's dequantized model (basic optimisations: DequantizeLinear as written;
    all: ONNX Runtime may fuse it into its own int8 MatMul kernels)."""
    try:
        import onnxruntime as ort
        from jitnet.export import to_onnx
    except ImportError as e:
        print(f"ONNX step skipped ({e}); pip install 'jitnet[export]' onnxruntime")
        return
    fpath, qpath = os.path.join(tmp, "float.onnx"), os.path.join(tmp, "int8.onnx")
    proto = to_onnx(model, x[:1], path=fpath)
    with open(qpath, "wb") as f:
        f.write(compress.quantize_onnx(proto).SerializeToString())
    out["onnx_float_bytes"], out["onnx_int8_bytes"] = os.path.getsize(fpath), os.path.getsize(qpath)
    ref = compiled(compress.dequantize(qmodel), 1e-3).predict(x, batch_size=500).argmax(1)
    for level in ("BASIC", "ALL"):
        so = ort.SessionOptions()
        so.graph_optimization_level = getattr(ort.GraphOptimizationLevel, f"ORT_ENABLE_{level}")
        sess = ort.InferenceSession(qpath, so, providers=["CPUExecutionProvider"])
        pred = np.concatenate([sess.run(None, {sess.get_inputs()[0].name: x[i:i + 500]})[0]
                               for i in range(0, len(x), 500)]).argmax(1)
        out[f"onnx_int8_accuracy_{level.lower()}"] = float(np.mean(pred == y))
        out[f"onnx_int8_agreement_{level.lower()}"] = float(np.mean(pred == ref))
    print(f"ONNX:    float {out['onnx_float_bytes']} bytes, int8 QDQ {out['onnx_int8_bytes']} "
          f"bytes; int8 accuracy in ONNX Runtime {out['onnx_int8_accuracy_basic']:.4f} "
          f"(same class as jitnet's dequantized model for "
          f"{out['onnx_int8_agreement_basic']:.2%} of images; with all ONNX Runtime "
          f"optimisations {out['onnx_int8_accuracy_all']:.4f}, "
          f"{out['onnx_int8_agreement_all']:.2%})")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--finetune-epochs", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--sparsity", type=float, default=0.8)
    ap.add_argument("--json", default=None, help="write the figures to this file")
    args = ap.parse_args()

    name, (x_tr, y_tr), (x_te, y_te) = load_image_classification()
    x_tr = (x_tr.astype(np.float32) / 255.0)[..., None]
    x_te = (x_te.astype(np.float32) / 255.0)[..., None]
    y_tr, y_te = y_tr.astype(np.int32), y_te.astype(np.int32)
    out, tmp = {"dataset": name, "load": os.getloadavg()[0]}, tempfile.mkdtemp()
    print(f"dataset {name}: train {x_tr.shape}, test {x_te.shape}")

    model = compiled(make_model(x_tr.shape[1:3], int(y_tr.max()) + 1), 2e-3)
    t0 = time.perf_counter()
    model.fit(x_tr, y_tr, epochs=args.epochs, batch_size=args.batch, verbose=2)
    out["train_s"] = time.perf_counter() - t0
    out["float_accuracy"] = accuracy(model, x_te, y_te)
    out["float_bytes"] = compress.size_bytes(model)
    out["float_file_bytes"] = compress.directory_bytes(model.save(os.path.join(tmp, "float")))

    qmodel = compress.quantize(model)
    path = compress.save_quantized(qmodel, os.path.join(tmp, "int8"))
    qmodel = compress.load_quantized(path)
    out["int8_bytes"] = compress.size_bytes(qmodel)
    out["int8_file_bytes"] = compress.directory_bytes(path)
    out["int8_accuracy"] = accuracy(compiled(compress.dequantize(qmodel), 2e-3), x_te, y_te)
    print(f"float32: accuracy {out['float_accuracy']:.4f}, {out['float_bytes']} bytes "
          f"({out['float_file_bytes']} on disk)")
    print(f"int8:    accuracy {out['int8_accuracy']:.4f}, {out['int8_bytes']} bytes "
          f"({out['int8_file_bytes']} on disk), {out['float_bytes'] / out['int8_bytes']:.2f}x "
          "smaller")
    onnx_int8(model, qmodel, x_te, y_te, tmp, out)

    steps = args.finetune_epochs * -(-len(x_tr) // args.batch)
    end = max(1, int(steps * 2 / 3))
    schedule = compress.PolynomialDecay(0.0, args.sparsity, begin_step=0, end_step=end,
                                        frequency=max(1, end // 20))
    pruned = compiled(compress.prune_low_magnitude(model, schedule), 1e-3)
    t0 = time.perf_counter()
    pruned.fit(x_tr, y_tr, epochs=args.finetune_epochs, batch_size=args.batch, verbose=2,
               callbacks=[compress.UpdatePruningStep()])
    out["finetune_s"] = time.perf_counter() - t0
    sparse = compress.strip_pruning(pruned)
    out["sparsity"] = compress.sparsity(sparse)
    out["pruned_accuracy"] = accuracy(compiled(sparse, 1e-3), x_te, y_te)
    sparse_path = sparse.save(os.path.join(tmp, "sparse"))
    out["float_gzip_bytes"] = gzip_bytes(os.path.join(tmp, "float"))
    out["pruned_gzip_bytes"] = gzip_bytes(sparse_path)
    print(f"pruned:  accuracy {out['pruned_accuracy']:.4f} at sparsity "
          f"{out['sparsity']['overall']:.3f} of the kernels; gzip of the weights "
          f"{out['pruned_gzip_bytes']} bytes (float model {out['float_gzip_bytes']})")
    qsparse = compress.quantize(sparse)
    out["pruned_int8_accuracy"] = accuracy(compiled(compress.dequantize(qsparse), 1e-3), x_te, y_te)
    out["pruned_int8_gzip_bytes"] = gzip_bytes(compress.save_quantized(
        qsparse, os.path.join(tmp, "sparse-int8")))
    print(f"pruned + int8: accuracy {out['pruned_int8_accuracy']:.4f}; gzip of the weights "
          f"{out['pruned_int8_gzip_bytes']} bytes")
    out["load_end"] = os.getloadavg()[0]
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
