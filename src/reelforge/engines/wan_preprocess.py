"""Pose and face inputs for Wan 2.2 Animate, extracted from a reference video.

``WanAnimatePipeline`` does not read the reference video itself: it takes a *pose video*
(a skeleton drawn on black, one frame per output frame, at the output size) and a *face
video* (square crops of the performer's face at the motion encoder's size, 512 px for the
14B model). Wan 2.2's own preprocessing (``wan/modules/animate/preprocess`` in the Wan2.2
repository) makes them with two ONNX models shipped in ``Wan-AI/Wan2.2-Animate-14B``::

    process_checkpoint/det/yolov10m.onnx                person detector (YOLOv10, 640×640 in,
                                                        (1, N, 6) boxes x1 y1 x2 y2 score class)
    process_checkpoint/pose2d/vitpose_h_wholebody.onnx  ViTPose-H whole body (256×192 crop in,
                                                        (1, 133, 64, 48) heatmaps: COCO-WholeBody
                                                        17 body, 6 feet, 68 face, 2×21 hands)

:class:`OnnxMotionPreprocessor` runs those models with onnxruntime: detect the performer,
crop and normalise, take each keypoint at its heatmap's peak, draw the skeleton at the
output framing, and crop the face around the face keypoints. Input sizes are read from the
models, so any detector/pose pair with these output layouts works (ViTPose-L, tiny test
models). Pose retargeting and the SAM2 masks of Wan's "replace" mode are not done here.

:class:`ClassicalMotionPreprocessor` is a **fallback** for when those weights are absent: an
edge map instead of a skeleton and a fixed upper-centre crop instead of a tracked face. It
keeps the motion tier usable for checks but transfers motion poorly; it says so in a
warning every time it is chosen.
"""

from __future__ import annotations

import logging
import os
import warnings
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from ..lineup.tiers import WeightsRef

log = logging.getLogger(__name__)

PREPROCESS_WEIGHTS = WeightsRef(
    "Wan-AI/Wan2.2-Animate-14B",
    allow_patterns=("process_checkpoint/det/*", "process_checkpoint/pose2d/*"),
)
"""Where the pose/face models live on the Hub (the original, non-diffusers Animate repo)."""
CHECKPOINT_DIR = "process_checkpoint"
DETECTOR = ("det", "yolov10m.onnx")
POSE = ("pose2d", "vitpose_h_wholebody.onnx")

DETECTION_THRESHOLD = 0.3
KEYPOINT_THRESHOLD = 0.3
PERSON_CROP_SCALE = 1.25
"""ViTPose's top-down crop: the person box enlarged by this factor (mmpose's default)."""
FACE_CROP_SCALE = 1.5
"""Face crop: the face keypoints' box enlarged by this factor, made square."""
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)
LETTERBOX_FILL = 114

# COCO-WholeBody keypoint layout (133 points).
BODY = range(0, 17)
FACE = range(23, 91)
LEFT_HAND = range(91, 112)
RIGHT_HAND = range(112, 133)
HEAD = (0, 1, 2, 3, 4)  # nose, eyes, ears
BODY_LIMBS = (
    (5, 6),
    (5, 7),
    (7, 9),
    (6, 8),
    (8, 10),
    (5, 11),
    (6, 12),
    (11, 12),
    (11, 13),
    (13, 15),
    (12, 14),
    (14, 16),
    (0, 1),
    (0, 2),
    (1, 3),
    (2, 4),
    (0, 5),
    (0, 6),
)
HAND_LIMBS = tuple(
    (0, f * 4 + 1) if j == 0 else (f * 4 + j, f * 4 + j + 1) for f in range(5) for j in range(4)
)
LIMB_COLOURS = (
    (255, 0, 0),
    (255, 85, 0),
    (255, 170, 0),
    (255, 255, 0),
    (170, 255, 0),
    (85, 255, 0),
    (0, 255, 0),
    (0, 255, 85),
    (0, 255, 170),
    (0, 255, 255),
    (0, 170, 255),
    (0, 85, 255),
    (0, 0, 255),
    (85, 0, 255),
    (170, 0, 255),
    (255, 0, 255),
    (255, 0, 170),
    (255, 0, 85),
)


@dataclass
class MotionInputs:
    """What ``WanAnimatePipeline`` takes besides the character: one pose and one face per frame."""

    pose: list[Image.Image]
    """Skeletons on black at the output size."""
    face: list[Image.Image]
    """Square face crops at the motion encoder's size."""
    method: str
    """``onnx`` (Wan's pose/face models) or ``classical`` (the fallback)."""


class MotionPreprocessor(ABC):
    """Turns reference frames into :class:`MotionInputs`."""

    method: str

    @abstractmethod
    def __call__(self, frames: np.ndarray, width: int, height: int, face_size: int) -> MotionInputs:
        """``frames``: uint8 ``(F, h, w, 3)`` at the source's own size; the pose frames come
        out ``width``×``height`` (framed like :func:`~reelforge.media.decode.fit_image`'s
        ``cover``), the face crops ``face_size`` square."""


# --------------------------------------------------------------------------- geometry


def cover_transform(src_w: int, src_h: int, dst_w: int, dst_h: int) -> tuple[float, float, float]:
    """(scale, dx, dy) taking source pixels to the ``cover`` fit of ``dst``: x' = x·s − dx."""
    scale = max(dst_w / src_w, dst_h / src_h)
    return scale, (src_w * scale - dst_w) / 2, (src_h * scale - dst_h) / 2


def square_box(x0: float, y0: float, x1: float, y1: float, scale: float) -> tuple[float, ...]:
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half = max(x1 - x0, y1 - y0, 1.0) * scale / 2
    return cx - half, cy - half, cx + half, cy + half


def crop_resize(image: Image.Image, box: tuple[float, ...], size: tuple[int, int]) -> Image.Image:
    """``box`` (x0, y0, x1, y1; may leave the image, outside is black) resized to ``size``."""
    return image.transform(
        size,
        Image.Transform.EXTENT,
        tuple(float(v) for v in box),
        resample=Image.Resampling.BILINEAR,
        fillcolor=(0, 0, 0),
    )


# --------------------------------------------------------------------------- ONNX path


class OnnxMotionPreprocessor(MotionPreprocessor):
    """Wan 2.2 Animate's detector + ViTPose whole-body models, run with onnxruntime."""

    method = "onnx"

    def __init__(self, detector: str | Path, pose: str | Path, providers: list[str] | None = None):
        import onnxruntime as ort

        providers = providers or [
            p
            for p in ("CUDAExecutionProvider", "CPUExecutionProvider")
            if p in ort.get_available_providers()
        ]
        options = ort.SessionOptions()
        options.log_severity_level = 3
        self.detector = ort.InferenceSession(str(detector), options, providers=providers)
        self.pose = ort.InferenceSession(str(pose), options, providers=providers)
        self.det_size = _input_hw(self.detector)
        self.pose_size = _input_hw(self.pose)

    def __call__(self, frames, width, height, face_size) -> MotionInputs:
        poses, faces = [], []
        src_h, src_w = frames.shape[1:3]
        scale, dx, dy = cover_transform(src_w, src_h, width, height)
        for frame in frames:
            image = Image.fromarray(frame)
            box = self.detect(image)
            points = self.keypoints(image, box)
            out = points.copy()
            out[:, 0] = points[:, 0] * scale - dx
            out[:, 1] = points[:, 1] * scale - dy
            poses.append(draw_skeleton(out, width, height))
            faces.append(crop_resize(image, face_box(points, box), (face_size, face_size)))
        return MotionInputs(poses, faces, self.method)

    def detect(self, image: Image.Image) -> tuple[float, float, float, float]:
        """The most confident person box in source pixels (the whole frame when none)."""
        h, w = self.det_size
        ratio = min(w / image.width, h / image.height)
        nw, nh = max(1, round(image.width * ratio)), max(1, round(image.height * ratio))
        canvas = Image.new("RGB", (w, h), (LETTERBOX_FILL,) * 3)
        left, top = (w - nw) // 2, (h - nh) // 2
        canvas.paste(image.resize((nw, nh), Image.Resampling.BILINEAR), (left, top))
        x = np.asarray(canvas, np.float32).transpose(2, 0, 1)[None] / 255.0
        boxes = np.asarray(self.detector.run(None, {self.detector.get_inputs()[0].name: x})[0])
        boxes = boxes.reshape(-1, boxes.shape[-1])
        people = boxes[(boxes[:, 4] >= DETECTION_THRESHOLD) & (np.round(boxes[:, 5]) == 0)]
        if len(people) == 0:
            return 0.0, 0.0, float(image.width), float(image.height)
        x0, y0, x1, y1 = people[np.argmax(people[:, 4]), :4]
        x0, x1 = sorted(((x0 - left) / ratio, (x1 - left) / ratio))
        y0, y1 = sorted(((y0 - top) / ratio, (y1 - top) / ratio))
        x0, y0 = max(0.0, x0), max(0.0, y0)
        x1, y1 = min(float(image.width), x1), min(float(image.height), y1)
        if x1 - x0 < 2 or y1 - y0 < 2:
            return 0.0, 0.0, float(image.width), float(image.height)
        return float(x0), float(y0), float(x1), float(y1)

    def keypoints(self, image: Image.Image, box: tuple[float, ...]) -> np.ndarray:
        """``(K, 3)`` keypoints (x, y in source pixels, score) from the heatmaps' peaks."""
        h, w = self.pose_size
        x0, y0, x1, y1 = box
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        bw, bh = x1 - x0, y1 - y0
        if bw / bh > w / h:  # widen the box to the model's aspect, then enlarge
            bh = bw * h / w
        else:
            bw = bh * w / h
        bw, bh = bw * PERSON_CROP_SCALE, bh * PERSON_CROP_SCALE
        crop_box = (cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2)
        crop = np.asarray(crop_resize(image, crop_box, (w, h)), np.float32) / 255.0
        x = ((crop - IMAGENET_MEAN) / IMAGENET_STD).transpose(2, 0, 1)[None].astype(np.float32)
        heatmaps = np.asarray(self.pose.run(None, {self.pose.get_inputs()[0].name: x})[0])[0]
        k, hh, hw = heatmaps.shape
        flat = heatmaps.reshape(k, -1)
        peak = flat.argmax(axis=1)
        py, px = np.divmod(peak, hw)
        points = np.empty((k, 3), np.float32)
        points[:, 0] = crop_box[0] + (px + 0.5) / hw * bw
        points[:, 1] = crop_box[1] + (py + 0.5) / hh * bh
        points[:, 2] = flat[np.arange(k), peak]
        return points


def _input_hw(session) -> tuple[int, int]:
    shape = session.get_inputs()[0].shape
    h, w = shape[2], shape[3]
    if not isinstance(h, int) or not isinstance(w, int):
        raise ValueError(f"{session.get_inputs()[0].name} has no fixed input size ({shape})")
    return h, w


def face_box(points: np.ndarray, person: tuple[float, ...]) -> tuple[float, ...]:
    """A square box around the face keypoints (the head's when those are missing)."""
    for group in (FACE, HEAD):
        idx = [i for i in group if i < len(points) and points[i, 2] >= KEYPOINT_THRESHOLD]
        if len(idx) >= 2:
            xs, ys = points[idx, 0], points[idx, 1]
            return square_box(xs.min(), ys.min(), xs.max(), ys.max(), FACE_CROP_SCALE)
    x0, y0, x1, y1 = person  # no face found: the top of the person box
    side = min(x1 - x0, y1 - y0) / 2
    cx = (x0 + x1) / 2
    return cx - side / 2, y0, cx + side / 2, y0 + side


def draw_skeleton(points: np.ndarray, width: int, height: int) -> Image.Image:
    """Body limbs, hands and face points on black, in the style of Wan's pose videos."""
    canvas = Image.new("RGB", (width, height), (0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    thick = max(1, round(min(width, height) / 100))
    ok = points[:, 2] >= KEYPOINT_THRESHOLD

    def line(a: int, b: int, colour, w: int) -> None:
        if a < len(points) and b < len(points) and ok[a] and ok[b]:
            draw.line([tuple(points[a, :2]), tuple(points[b, :2])], fill=colour, width=w)

    for n, (a, b) in enumerate(BODY_LIMBS):
        line(a, b, LIMB_COLOURS[n % len(LIMB_COLOURS)], thick * 2)
    for hand in (LEFT_HAND, RIGHT_HAND):
        if hand.stop <= len(points):
            for n, (a, b) in enumerate(HAND_LIMBS):
                line(hand.start + a, hand.start + b, LIMB_COLOURS[n % len(LIMB_COLOURS)], thick)
    for i in [*BODY, *FACE]:
        if i < len(points) and ok[i]:
            x, y = points[i, :2]
            r = thick if i in BODY else max(1, thick // 2)
            draw.ellipse([x - r, y - r, x + r, y + r], fill=(255, 255, 255))
    return canvas


# --------------------------------------------------------------------------- fallback


class ClassicalMotionPreprocessor(MotionPreprocessor):
    """FALLBACK without Wan's pose/face models: edge maps and a fixed face crop.

    The pose frame is the reference's edge map (Sobel-like ``FIND_EDGES`` on grey) at the
    output framing; the face frame is the upper-centre square of each frame. The model was
    trained on skeletons and tracked faces, so motion follows only roughly.
    """

    method = "classical"

    def __call__(self, frames, width, height, face_size) -> MotionInputs:
        poses, faces = [], []
        src_h, src_w = frames.shape[1:3]
        side = min(src_w, src_h) / 2
        face = ((src_w - side) / 2, src_h * 0.05, (src_w + side) / 2, src_h * 0.05 + side)
        for frame in frames:
            image = Image.fromarray(frame)
            framed = crop_resize(image, _cover_box(src_w, src_h, width, height), (width, height))
            edges = framed.convert("L").filter(ImageFilter.FIND_EDGES)
            poses.append(Image.merge("RGB", (edges, edges, edges)))
            faces.append(crop_resize(image, face, (face_size, face_size)))
        return MotionInputs(poses, faces, self.method)


def _cover_box(src_w: int, src_h: int, dst_w: int, dst_h: int) -> tuple[float, ...]:
    scale, dx, dy = cover_transform(src_w, src_h, dst_w, dst_h)
    return dx / scale, dy / scale, (dx + dst_w) / scale, (dy + dst_h) / scale


# --------------------------------------------------------------------------- loading


def find_process_checkpoint(model_folder: str | Path | None) -> Path | None:
    """The folder holding ``det/`` and ``pose2d/``: beside the pipeline, in the
    ``$REELFORGE_MODELS`` mirror, or in the Hugging Face cache (never downloads)."""
    candidates: list[Path] = []
    if model_folder is not None:
        folder = Path(model_folder)
        candidates += [
            folder / CHECKPOINT_DIR,
            folder.parent / "Wan2.2-Animate-14B" / CHECKPOINT_DIR,
        ]
    mirror = os.environ.get("REELFORGE_MODELS")
    if mirror:
        candidates.append(Path(mirror) / PREPROCESS_WEIGHTS.repo_id / CHECKPOINT_DIR)
    for candidate in candidates:
        if _model_file(candidate, DETECTOR) and _model_file(candidate, POSE):
            return candidate
    try:
        from huggingface_hub import snapshot_download

        cached = (
            Path(
                snapshot_download(
                    PREPROCESS_WEIGHTS.repo_id,
                    revision=PREPROCESS_WEIGHTS.revision,
                    allow_patterns=list(PREPROCESS_WEIGHTS.allow_patterns),
                    local_files_only=True,
                )
            )
            / CHECKPOINT_DIR
        )
    except Exception:  # not pulled, or no huggingface_hub: fall through
        return None
    return cached if _model_file(cached, DETECTOR) and _model_file(cached, POSE) else None


def _model_file(root: Path, spec: tuple[str, str]) -> Path | None:
    """``root/sub/name``, or the only other ``.onnx`` in ``root/sub`` (e.g. ViTPose-L)."""
    sub, name = spec
    exact = root / sub / name
    if exact.is_file():
        return exact
    others = sorted((root / sub).glob("*.onnx")) if (root / sub).is_dir() else []
    return others[0] if others else None


def load_preprocessor(model_folder: str | Path | None) -> MotionPreprocessor:
    """Wan's ONNX pose/face models when present and runnable, else the classical fallback
    (with a warning that names what is missing and how to get it)."""
    root = find_process_checkpoint(model_folder)
    if root is not None:
        try:
            return OnnxMotionPreprocessor(_model_file(root, DETECTOR), _model_file(root, POSE))
        except ImportError:
            reason = f"onnxruntime is not installed (pip install onnxruntime) to run {root}"
    else:
        reason = (
            f"Wan-Animate's pose/face models ({CHECKPOINT_DIR}/{'/'.join(DETECTOR)}, "
            f"{CHECKPOINT_DIR}/{'/'.join(POSE)} of {PREPROCESS_WEIGHTS.repo_id}) were not found "
            "(run `reelforge pull motion`)"
        )
    message = (
        f"{reason}; using the classical fallback (edge maps and a fixed face crop) — "
        "motion will follow the reference only roughly"
    )
    warnings.warn(message, RuntimeWarning, stacklevel=2)
    log.warning(message)
    return ClassicalMotionPreprocessor()


# --------------------------------------------------------------------------- tiny models


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

    Detector: ``(1, 3, S, S)`` → ``(1, boxes, 6)`` (x1 y1 x2 y2 in input pixels, score, class
    0). Pose: ``(1, 3, H, W)`` → ``(1, keypoints, H/4, W/4)`` heatmaps. Needs ``onnx``.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    root = Path(folder) / CHECKPOINT_DIR

    def init(name: str, array: np.ndarray):
        return numpy_helper.from_array(np.asarray(array, np.float32), name)

    # detector: conv → relu → global pool → linear → sigmoid → scale → (1, N, 6)
    hidden = 8
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
            helper.make_node("Reshape", ["m1", "shape"], ["output0"]),
        ],
        "tiny_person_detector",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, det_size, det_size])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, boxes, 6])],
        [
            init("w1", rng.normal(0, 0.3, (hidden, 3, 8, 8))),
            init("b1", rng.normal(0, 0.1, hidden)),
            init("w2", rng.normal(0, 1.0, (hidden, boxes * 6))),
            init("b2", np.tile([-1.0, -1.0, 1.0, 1.0, 1.0, -50.0], boxes)),
            init("scale", np.tile([det_size, det_size, det_size, det_size, 1.0, 1.0], boxes)),
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
