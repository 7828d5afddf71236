"""Test scaffolding shared by reelforge's tests and benchmarks, outside the product.

Tiny random-weight pipelines (seconds on a CPU) and full-size random-weight
architectures (for FLOP counts and GPU benchmarks), tiny ONNX stand-ins of Wan-Animate's
pose/face models, and cut detection; importable by users who test their own integrations
(as ``procrastinate.testing``). Nothing in the product imports this package.

- ``ltx2.py`` — LTX-2: ``TINY``/``FULL`` configs, builders, ``save_tiny_ltx2`` and the
  random distilled LoRA / original-format checkpoint writers.
- ``ltx25.py`` — LTX-2.5: ``TINY25``/``FULL25``, builders, ``save_tiny_ltx25``.
- ``wan.py`` — Wan: ``TINY``/``FULL`` configs per kind, builders, ``save_tiny_wan``.
- ``preprocess.py`` — tiny ONNX detector and pose models (``save_tiny_preprocessor``).
- ``cuts.py`` — ``detect_cuts``: where the hard cuts of a clip are.
"""
