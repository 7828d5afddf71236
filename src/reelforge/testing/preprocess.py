"""Tiny random-weight stand-ins of Wan-Animate's pose/face ONNX models.

:func:`save_tiny_preprocessor` writes a person detector and a whole-body pose model with the
input/output layouts of ``process_checkpoint/det/yolov10m.onnx`` and
``process_checkpoint/pose2d/vitpose_h_wholebody.onnx`` (see
:mod:`reelforge.engines.wan.preprocess`), small enough to run in milliseconds, so tests go
through :class:`~reelforge.engines.wan.preprocess.OnnxMotionPreprocessor` as with the real
models. Needs the ``onnx`` package.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..engines.wan.preprocess import CHECKPOINT_DIR, DETECTOR, POSE


def save_tiny_preprocessor(
    folder: str | Path,
    *,
    seed: int = 0,
    det_size: int = 64,
    pose_size: tuple[int, int] = (32, 24),
    keypoints: int = 133,
    boxes: int = 4,
) -> Path:
    """Write tiny random-weight stand-ins of the detector and ViTPose ONNX models under
    ``folder/process_checkpoint`` with the real models' input/output layouts.

    Detector: ``(1, 3, S, S)`` → ``(1, boxes, 6)`` (x1 y1 x2 y2 in input pixels with x1 < S/2 <
    x2 and y1 < S/2 < y2, score in (0, 1), class exactly 0). Pose: ``(1, 3, H, W)`` →
    ``(1, keypoints, H/4, W/4)`` heatmaps. Needs ``onnx``.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    root = Path(folder) / CHECKPOINT_DIR

    def init(name: str, array: np.ndarray):
        return numpy_helper.from_array(np.asarray(array, np.float32), name)

    # detector: conv → relu → global pool → linear → sigmoid → scale + offset → (1, N, 6);
    # corners on either side of the middle, so every box is a proper one
    hidden = 8
    half = det_size / 2
    det = helper.make_graph(
        [
            helper.make_node(
                "Conv", ["images", "w1", "b1"], ["c1"], strides=[8, 8], kernel_shape=[8, 8]
            ),
            helper.make_node("Relu", ["c1"], ["r1"]),
            helper.make_node("GlobalAveragePool", ["r1"], ["p1"]),
            helper.make_node("Flatten", ["p1"], ["f1"]),
            helper.make_node("Gemm", ["f1", "w2", "b2"], ["g1"]),
            helper.make_node("Sigmoid", ["g1"], ["s1"]),
            helper.make_node("Mul", ["s1", "scale"], ["m1"]),
            helper.make_node("Add", ["m1", "offset"], ["a1"]),
            helper.make_node("Reshape", ["a1", "shape"], ["output0"]),
        ],
        "tiny_person_detector",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, det_size, det_size])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, boxes, 6])],
        [
            init("w1", rng.normal(0, 0.3, (hidden, 3, 8, 8))),
            init("b1", rng.normal(0, 0.1, hidden)),
            init("w2", rng.normal(0, 1.0, (hidden, boxes * 6))),
            init("b2", np.tile([0.0, 0.0, 0.0, 0.0, 1.0, 0.0], boxes)),
            init("scale", np.tile([half, half, half, half, 1.0, 0.0], boxes)),
            init("offset", np.tile([0.0, 0.0, half, half, 0.0, 0.0], boxes)),
            numpy_helper.from_array(np.array([1, boxes, 6], np.int64), "shape"),
        ],
    )
    # pose: one strided conv from pixels to heatmaps
    h, w = pose_size
    pose = helper.make_graph(
        [
            helper.make_node(
                "Conv", ["input", "w", "b"], ["heatmaps"], strides=[4, 4], kernel_shape=[4, 4]
            )
        ],
        "tiny_wholebody_pose",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, h, w])],
        [
            helper.make_tensor_value_info(
                "heatmaps", TensorProto.FLOAT, [1, keypoints, h // 4, w // 4]
            )
        ],
        [
            init("w", rng.normal(0, 0.2, (keypoints, 3, 4, 4))),
            init("b", rng.normal(0.5, 0.1, keypoints)),
        ],
    )
    for graph, (sub, name) in ((det, DETECTOR), (pose, POSE)):
        (root / sub).mkdir(parents=True, exist_ok=True)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 8
        onnx.checker.check_model(model)
        onnx.save(model, str(root / sub / name))
    return root
