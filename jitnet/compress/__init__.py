"""``jitnet.compress``: smaller models for deployment (see docs/COMPRESS.md).

* int8 post-training weight quantization, per output channel and symmetric:
  ``quantize``, ``dequantize``, ``save_quantized``, ``load_quantized``, ``size_bytes``;
* the same for ONNX files, in QDQ form: ``quantize_onnx`` (needs the ``onnx`` package);
* magnitude pruning during training, TF-MOT's API: ``prune_low_magnitude``,
  ``ConstantSparsity``, ``PolynomialDecay``, the ``UpdatePruningStep`` callback for
  ``model.fit``, ``strip_pruning``, ``sparsity``.
"""
from .quantize import (QuantizedArray, dequantize, directory_bytes, load_quantized,  # noqa: F401
                       quantize, quantize_array, save_quantized, size_bytes)
from .pruning import (ConstantSparsity, PolynomialDecay, PruneLowMagnitude,  # noqa: F401
                      PruningSchedule, UpdatePruningStep, prune_low_magnitude, sparsity,
                      strip_pruning, update_masks)
from .onnx_qdq import quantize_onnx  # noqa: F401
