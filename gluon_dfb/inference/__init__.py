"""Inference and deployment: predict (:mod:`.predict`), long videos window by window
(:mod:`.timeline`, :mod:`.annotate`), export to MXNet symbols and ONNX
(:mod:`.export`, :mod:`.fold_batch_norm`), onnxruntime (:mod:`.onnx_runner`) and INT8
(:mod:`.quantize`)."""
