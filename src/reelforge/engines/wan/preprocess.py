"""Pose and face inputs for Wan 2.2 Animate, extracted from a reference video.

``WanAnimatePipeline`` does not read the reference video itself: it takes a *pose video*
(a skeleton drawn on black, one frame per output frame, at the output size) and a *face
video* (crops of the performer's face at the motion encoder's size, 512 px for the 14B
model). Wan 2.2's own preprocessing (``wan/modules/animate/preprocess`` in the
Wan-Video/Wan2.2 repository) makes them with two ONNX models shipped in
``Wan-AI/Wan2.2-Animate-14B``::

    process_checkpoint/det/yolov10m.onnx                person detector (YOLOv10, 640×640 in,
                                                        (1, N, 6) boxes x1 y1 x2 y2 score class)
    process_checkpoint/pose2d/vitpose_h_wholebody.onnx  ViTPose-H whole body (256×192 crop in,
                                                        (1, 133, 64, 48) heatmaps: COCO-WholeBody
                                                        17 body, 6 feet, 68 face, 2×21 hands)

:class:`OnnxMotionPreprocessor` runs those models with onnxruntime and follows the
reference step by step (the constants below cite the file and function each comes from;
``docs/research/wan-animate-preprocess.md`` lists the steps and what is not matched):

1. detect (``pose2d.py`` ``Yolo``): the RGB frame resized to the detector's input (no
   letterbox), boxes scaled back and truncated to whole pixels, class-agnostic NMS, then
   the *largest* person box above a 0.05 score (:func:`choose_person`);
2. pose (``pose2d.py`` ``ViTPose``, ``pose2d_utils.py``): the box widened to the model's
   aspect and enlarged ×1.25, cropped and resized, normalised (the pose model sees the
   frame's channels reversed, as the reference feeds it), heatmaps decoded with DARK
   (Gaussian modulation + a Taylor step, :func:`decode_heatmaps`) and mapped back;
3. draw (``human_visualization.py`` ``draw_aapose_new``): the 20-point OpenPose body made
   from the 133 points, limbs as shaded ellipses, points as discs, both hands; nothing of
   the face; on a canvas the size of the reference frame, then letterboxed into the output
   size (``utils.py`` ``padding_resize``);
4. face (``utils.py`` ``get_face_bboxes``, ``process_pipepline.py``): the 68 face points'
   box grown to 1.3× its area (three quarters of the added height above), cut out and
   resized to the face size.

Pose retargeting, the FLUX-Kontext edit and the SAM2 masks of Wan's "replace" mode are not
done here.

:class:`ClassicalMotionPreprocessor` is a **fallback** for when those weights are absent: an
edge map instead of a skeleton and a fixed upper-centre crop instead of a tracked face. It
keeps the motion tier usable for checks but transfers motion poorly; it says so in a
warning every time it is chosen.
"""

from __future__ import annotations

import colorsys
import logging
import math
import os
import warnings
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from ...lineup.tiers import WeightsRef

log = logging.getLogger(__name__)

PREPROCESS_WEIGHTS = WeightsRef(
    "Wan-AI/Wan2.2-Animate-14B",
    allow_patterns=("process_checkpoint/det/*", "process_checkpoint/pose2d/*"),
)
"""Where the pose/face models live on the Hub (the original, non-diffusers Animate repo)."""
CHECKPOINT_DIR = "process_checkpoint"
DETECTOR = ("det", "yolov10m.onnx")
POSE = ("pose2d", "vitpose_h_wholebody.onnx")

# Every file named below is in Wan-Video/Wan2.2, wan/modules/animate/preprocess/.

# --- detection: pose2d.py, class Yolo
DETECTION_THRESHOLD = 0.05
"""``Yolo.__init__`` ``threshold_conf``: boxes scoring above it (``cv2.dnn.NMSBoxes``'
score threshold and ``process_results``' test, both strict) are candidates."""
NMS_IOU_THRESHOLD = 0.5
"""``Yolo.__init__`` ``threshold_iou``: ``postprocess`` drops a box overlapping a better-scored
one (any class) by more than this intersection-over-union."""
BOX_SHAPE_RATIO = 0.4
"""``Yolo.__init__`` ``threshold_bbox_shape_ratio`` (with ``strict=True``): in
``process_results`` a larger box is passed over when its longest side is under this share of
the longest side seen so far."""
PERSON_CLASS = 0
"""``Yolo`` ``cat_id=[1]``, which ``process_results`` compares with the class id + 1
(COCO's person)."""

# --- pose: pose2d.py, ViTPose.preprocess / ViTPose.forward; pose2d_utils.py
MIN_PERSON_BOX = 10
"""``ViTPose.preprocess``: no person, or a box narrower or lower than this many pixels, and
the pose model looks at the whole frame."""
PERSON_CROP_SCALE = 1.25
"""``ViTPose.preprocess`` ``rescale``: ``bbox_from_detector`` widens the box to the model's
aspect, then enlarges it by this factor."""
BOX_SIZE_UNIT = 200.0
"""``bbox_from_detector`` keeps box sizes in units of 200 px (``get_transform`` and
``keypoints_from_heatmaps`` multiply back)."""
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406])
IMAGENET_STD = np.array([0.229, 0.224, 0.225])
"""``ViTPose.preprocess`` ``IMG_NORM_MEAN`` / ``IMG_NORM_STD`` (on pixels / 255)."""
POSE_INPUT_REVERSED = True
"""``Pose2d.load_images`` applies ``cv2.COLOR_BGR2RGB`` to frames decord already gave as
RGB, and ``ViTPose.preprocess`` crops those: the pose model sees blue, green, red (the
detector's ``read_img`` reverses them back). Kept, because Wan's pose videos came from it."""
HEATMAP_KERNEL = 11
"""``keypoints_from_heatmaps`` ``kernel`` (``ViTPose.forward`` passes ``unbiased=True``:
DARK decoding, Zhang et al. CVPR 2020): the Gaussian the heatmaps are modulated with."""
HEATMAP_SIGMA = 0.3 * ((HEATMAP_KERNEL - 1) * 0.5 - 1) + 0.8
"""``_gaussian_blur`` calls ``cv2.GaussianBlur`` with sigma 0: OpenCV's sigma for the kernel
size, 2.0 for 11 (the formula is in ``_gaussian_blur``'s docstring)."""
HEATMAP_LOG_FLOOR = 1e-10
"""``keypoints_from_heatmaps``: ``np.log(np.maximum(blurred, 1e-10))``."""
TAYLOR_MARGIN = 2
"""``_taylor`` refines a peak only when ``1 < x < W - 2`` and ``1 < y < H - 2``."""

# --- face crop: utils.py get_face_bboxes, process_pipepline.py ProcessPipeline.__call__
FACE_AREA_SCALE = 1.3
"""``get_face_bboxes(..., scale=1.3)``: the face box grows to this multiple of its area,
keeping its aspect."""
FACE_GROWTH_QUARTERS_ABOVE = 3
"""``get_face_bboxes``: the added height is cut in quarters; three go above the face (the
forehead and hair), one below."""
MIN_FACE_EXTENT = 1.0
"""Ours, not the reference's: a face box under one pixel wide or high is taken as one
pixel (``get_face_bboxes`` divides by the width and the height)."""

# --- drawing: human_visualization.py draw_aapose_by_meta_new / draw_aapose_new /
# draw_handpose_new (stickwidth_type "v2")
KEYPOINT_THRESHOLD = 0.5
"""``draw_aapose_by_meta_new`` ``threshold``: body points, limbs, hand points and hand edges
are drawn only where every point involved scores at least this."""
STICK_DIVISOR = 200
"""``draw_aapose_new`` v2: limbs are ellipses ``max(int(min(H, W) / 200) - 1, 1)`` pixels
half-wide, points discs of that radius; ``draw_handpose_new`` v2 halves it for hands."""
LIMB_SHADE = 0.6
"""``draw_aapose_new``: a limb is filled with ``int(c * 0.6)`` of its colour, a point with
the full colour."""
HAND_POINT_COLOUR = (0, 0, 255)
"""``draw_handpose_new``: hand points are (0, 0, 255) on the RGB canvas."""
HAND_MIN_COORD = 0.01
"""``draw_handpose_new`` ``eps``: a hand point at x or y 0 (lost) is not drawn."""

# COCO-WholeBody keypoint layout (133 points).
BODY = range(0, 17)
FEET = range(17, 23)
FACE = range(23, 91)
LEFT_HAND = range(91, 112)
RIGHT_HAND = range(112, 133)
OPENPOSE_BODY = (
    # pose2d_utils.py split_kp2ds_for_aa: each of the 20 points drawn is the mean of two
    # COCO-WholeBody points (the same one twice but for the neck and the toes); names from
    # human_visualization.py draw_aapose_new's new_kep_list.
    (0, 0),  # nose
    (6, 5),  # neck: between the shoulders
    (6, 6),  # right shoulder
    (8, 8),  # right elbow
    (10, 10),  # right wrist
    (5, 5),  # left shoulder
    (7, 7),  # left elbow
    (9, 9),  # left wrist
    (12, 12),  # right hip
    (14, 14),  # right knee
    (16, 16),  # right ankle
    (11, 11),  # left hip
    (13, 13),  # left knee
    (15, 15),  # left ankle
    (2, 2),  # right eye
    (1, 1),  # left eye
    (4, 4),  # right ear
    (3, 3),  # left ear
    (17, 18),  # left toe: between the big and small toes
    (20, 21),  # right toe
)
BODY_LIMBS = (
    # draw_aapose_new limbSeq, 0-based (the reference counts from 1)
    (1, 2),
    (1, 5),
    (2, 3),
    (3, 4),
    (5, 6),
    (6, 7),
    (1, 8),
    (8, 9),
    (9, 10),
    (1, 11),
    (11, 12),
    (12, 13),
    (1, 0),
    (0, 14),
    (14, 16),
    (0, 15),
    (15, 17),
    (13, 18),
    (10, 19),
)
BODY_COLOURS = (
    # draw_aapose_new colors: point i and limb i take colour i (limbs shaded by LIMB_SHADE)
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
    (200, 200, 0),
    (100, 100, 0),
)
LIMB_COLOURS = tuple(tuple(int(float(c) * LIMB_SHADE) for c in colour) for colour in BODY_COLOURS)
HAND_EDGES = tuple(
    # draw_handpose_new edges: wrist (0) to each finger's base, then along the finger
    (0 if j == 0 else f * 4 + j, f * 4 + j + 1)
    for f in range(5)
    for j in range(4)
)
HAND_EDGE_COLOURS = tuple(
    # draw_handpose_new: edge i in hsv_to_rgb(i / 20, 1, 1) * 255, which cv2 rounds to bytes
    tuple(round(v * 255) for v in colorsys.hsv_to_rgb(i / len(HAND_EDGES), 1.0, 1.0))
    for i in range(len(HAND_EDGES))
)

Box = tuple[float, float, float, float]


@dataclass
class MotionInputs:
    """What ``WanAnimatePipeline`` takes besides the character: one pose and one face per frame."""

    pose: list[Image.Image]
    """Skeletons on black at the output size."""
    face: list[Image.Image]
    """Face crops at the motion encoder's size (square)."""
    method: str
    """``onnx`` (Wan's pose/face models) or ``classical`` (the fallback)."""


class MotionPreprocessor(ABC):
    """Turns reference frames into :class:`MotionInputs`."""

    method: str

    @abstractmethod
    def __call__(self, frames: np.ndarray, width: int, height: int, face_size: int) -> MotionInputs:
        """``frames``: uint8 RGB ``(F, h, w, 3)`` at the source's own size; the pose frames
        come out ``width``×``height`` (the source letterboxed on black, :func:`letterbox`),
        the face crops ``face_size`` square."""


# --------------------------------------------------------------------------- geometry


def resize_linear(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """``cv2.resize(image, (width, height))`` (bilinear, the reference's every resize):
    pixel centres at +0.5, samples past the edge clamped to it. uint8 comes back rounded
    to uint8, float as float32."""
    src_h, src_w = image.shape[:2]
    if (src_w, src_h) == (width, height):
        return image.copy()

    def taps(n_src: int, n_dst: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pos = np.clip((np.arange(n_dst) + 0.5) * (n_src / n_dst) - 0.5, 0, n_src - 1)
        first = np.floor(pos).astype(np.intp)
        return first, np.minimum(first + 1, n_src - 1), (pos - first).astype(np.float32)

    y0, y1, wy = taps(src_h, height)
    x0, x1, wx = taps(src_w, width)
    pixels = image.astype(np.float32)
    wy = wy.reshape((-1,) + (1,) * (pixels.ndim - 1))
    rows = pixels[y0] * (1 - wy) + pixels[y1] * wy
    wx = wx.reshape((1, -1) + (1,) * (pixels.ndim - 2))
    out = rows[:, x0] * (1 - wx) + rows[:, x1] * wx
    if image.dtype == np.uint8:
        return np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return out


def letterbox_geometry(src_w: int, src_h: int, dst_w: int, dst_h: int) -> tuple[int, ...]:
    """(width, height, left, top) of the source inside ``dst`` as ``utils.py``
    ``padding_resize`` places it: scaled to fit, sizes and bars truncated to whole pixels."""
    if src_h / src_w > dst_h / dst_w:
        new_w = max(1, int(dst_h / src_h * src_w))
        return new_w, dst_h, int((dst_w - new_w) / 2), 0
    new_h = max(1, int(dst_w / src_w * src_h))
    return dst_w, new_h, 0, int((dst_h - new_h) / 2)


def letterbox(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """``utils.py`` ``padding_resize``: the image fitted into ``width``×``height`` on black
    (what ``process_pipepline.py`` does to each drawn pose frame). Not ``fit_image``'s
    ``contain``: that one resamples with Lanczos and rounds the bars differently."""
    new_w, new_h, left, top = letterbox_geometry(image.shape[1], image.shape[0], width, height)
    out = np.zeros((height, width) + image.shape[2:], np.uint8)
    out[top : top + new_h, left : left + new_w] = resize_linear(image, new_w, new_h)
    return out


# --------------------------------------------------------------------------- detection


def detector_input(frame: np.ndarray, size_hw: tuple[int, int]) -> np.ndarray:
    """``Yolo.preprocess``: the RGB frame resized to the detector's input as it is (no
    letterbox: a wide frame is squeezed), / 255, ``(1, 3, H, W)``."""
    h, w = size_hw
    return (resize_linear(frame, w, h) / 255.0).astype(np.float32).transpose(2, 0, 1)[None]


def detections_in_frame(raw: np.ndarray, frame_wh: tuple[int, int], input_wh: tuple[int, int]):
    """``Yolo.postprocess`` for the ``(N, 6)`` layout: boxes above the score threshold, scaled
    from detector-input to frame pixels (x by frame width / input width, y likewise), their
    x, y, width and height truncated to integers, then NMS over all classes.

    Returns rows ``[x1, y1, x2, y2, score, class]`` in NMS order (best score first)."""
    rows = np.asarray(raw, np.float32).reshape(-1, 6)
    scores = rows[:, 4]
    rows = rows[scores >= np.float32(DETECTION_THRESHOLD)]
    fx, fy = frame_wh[0] / input_wh[0], frame_wh[1] / input_wh[1]
    boxes = rows[:, :4].astype(np.float64) * (fx, fy, fx, fy)
    boxes = boxes.astype(np.float32)  # the reference scales its float32 array in place
    xywh = np.stack(
        [boxes[:, 0], boxes[:, 1], boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]], axis=1
    ).astype(np.int32)
    keep = nms(xywh, rows[:, 4])
    return [
        [*map(float, (x, y, x + w, y + h)), float(rows[i, 4]), float(rows[i, 5])]
        for i in keep
        for x, y, w, h in [xywh[i]]
    ]


def nms(xywh: np.ndarray, scores: np.ndarray) -> list[int]:
    """``cv2.dnn.NMSBoxes(boxes, scores, DETECTION_THRESHOLD, NMS_IOU_THRESHOLD)`` on integer
    rectangles: best score first (ties in input order), a box kept unless it overlaps a kept
    one by more than the IoU threshold."""
    scores = np.asarray(scores, np.float32)
    order = [i for i in np.argsort(-scores, kind="stable") if scores[i] > DETECTION_THRESHOLD]
    kept: list[int] = []
    for i in order:
        if all(_iou(xywh[i], xywh[k]) <= NMS_IOU_THRESHOLD for k in kept):
            kept.append(int(i))
    return kept


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    area_a, area_b = int(a[2]) * int(a[3]), int(b[2]) * int(b[3])
    if area_a + area_b <= 0:
        return 1.0
    empty = min(a[2], a[3], b[2], b[3]) <= 0
    iw = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    ih = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    inter = 0 if empty or iw <= 0 or ih <= 0 else int(iw) * int(ih)
    return inter / (area_a + area_b - inter)


def choose_person(detections: list[list[float]], frame_wh: tuple[int, int]):
    """``Yolo.process_results`` (``select_type='max'``, ``strict=True``): of the person boxes
    scoring above the threshold, the one with the largest area, passing over any whose longest
    side is under :data:`BOX_SHAPE_RATIO` of the longest side so far (first the longest of
    all). ``(x1, y1, x2, y2, score)`` or ``None``."""
    people = [d for d in detections if d[5] + 1 == PERSON_CLASS + 1 and d[4] > DETECTION_THRESHOLD]
    if not people:
        return None
    longest = max(max(d[2] - d[0], d[3] - d[1]) for d in people)
    best, best_area = None, -10.0 * frame_wh[0] * frame_wh[1]
    for d in people:
        area, side = (d[2] - d[0]) * (d[3] - d[1]), max(d[2] - d[0], d[3] - d[1])
        if area > best_area:
            if side < longest * BOX_SHAPE_RATIO:
                continue
            best, best_area, longest = d, area, side
    return None if best is None else tuple(best[:5])


def pose_box(person, frame_wh: tuple[int, int]) -> Box:
    """``ViTPose.preprocess``: the person box, or the whole frame when there is none (the
    detector's default has score -1) or it is under :data:`MIN_PERSON_BOX` either way."""
    w, h = frame_wh
    if person is None or person[4] <= 0:
        return 0.0, 0.0, float(w), float(h)
    x0, y0, x1, y1 = person[:4]
    if x1 - x0 < MIN_PERSON_BOX or y1 - y0 < MIN_PERSON_BOX:
        return 0.0, 0.0, float(w), float(h)
    return float(x0), float(y0), float(x1), float(y1)


# --------------------------------------------------------------------------- pose


@dataclass(frozen=True)
class PoseCrop:
    """Where the pose model looks (``pose2d_utils.py`` ``bbox_from_detector`` and ``crop``)."""

    center: tuple[float, float]
    size: tuple[float, float]
    """(width, height): the box at the model's aspect, ×:data:`PERSON_CROP_SCALE`;
    ``transform_preds`` maps heatmap cells back with it."""
    window: tuple[int, int, int, int]
    """(x0, y0, x1, y1): the whole-pixel window ``crop`` cuts (rounded half to even)."""


def pose_crop(box: Box, input_hw: tuple[int, int]) -> PoseCrop:
    """``bbox_from_detector`` then ``crop``'s window, computed the reference's way (sizes in
    units of :data:`BOX_SIZE_UNIT`, the window's corners through the inverse of
    ``get_transform``'s affine map) so that its rounding ties break alike."""
    in_h, in_w = input_hw
    aspect = in_h / float(in_w)
    x0, y0, x1, y1 = box
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    extent = max((x1 - x0) * aspect, y1 - y0)
    scale = np.array([extent / aspect, extent]) / BOX_SIZE_UNIT * PERSON_CROP_SCALE
    # crop() takes the larger of the two as the window's height, the width from the aspect
    tall = BOX_SIZE_UNIT * max(scale)
    wide = tall / aspect
    to_input = np.array(
        [
            [in_w / wide, 0, in_w * (-cx / wide + 0.5)],
            [0, in_h / tall, in_h * (-cy / tall + 0.5)],
            [0, 0, 1],
        ]
    )
    to_frame = np.linalg.inv(to_input)
    ul = to_frame @ np.array([0.0, 0.0, 1.0])
    br = to_frame @ np.array([float(in_w), float(in_h), 1.0])
    window = (int(round(ul[0])), int(round(ul[1])), int(round(br[0])), int(round(br[1])))
    size = scale * BOX_SIZE_UNIT
    return PoseCrop((cx, cy), (float(size[0]), float(size[1])), window)


def cut_window(image: np.ndarray, window: tuple[int, int, int, int]) -> np.ndarray:
    """``crop``: the window as float32, black where it leaves the image."""
    x0, y0, x1, y1 = window
    out = np.zeros((y1 - y0, x1 - x0) + image.shape[2:], np.float32)
    h, w = image.shape[:2]
    sx0, sy0, sx1, sy1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if sx1 > sx0 and sy1 > sy0:
        out[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = image[sy0:sy1, sx0:sx1]
    return out


def pose_input(frame: np.ndarray, crop: PoseCrop, input_hw: tuple[int, int]) -> np.ndarray:
    """``ViTPose.preprocess``: the window resized to the model's input and normalised,
    ``(1, 3, H, W)`` (channels reversed: :data:`POSE_INPUT_REVERSED`)."""
    pixels = frame[..., ::-1] if POSE_INPUT_REVERSED else frame
    window = resize_linear(cut_window(pixels, crop.window), input_hw[1], input_hw[0])
    normed = (window / 255.0 - IMAGENET_MEAN) / IMAGENET_STD
    return normed.transpose(2, 0, 1)[None].astype(np.float32)


def gaussian_kernel(size: int = HEATMAP_KERNEL, sigma: float = HEATMAP_SIGMA) -> np.ndarray:
    """``cv2.getGaussianKernel``: exp(−d²/2σ²) over ``size`` taps, summing to 1."""
    d = np.arange(size) - (size - 1) / 2
    k = np.exp(-(d**2) / (2 * sigma**2))
    return k / k.sum()


def modulate(heatmaps: np.ndarray) -> np.ndarray:
    """``_gaussian_blur``: each ``(K, H, W)`` map blurred with the Gaussian on a zero border
    (the map is zero-padded by half the kernel, so nothing is reflected), then scaled back
    to its own maximum."""
    k = gaussian_kernel()
    r = len(k) // 2
    _, h, w = heatmaps.shape
    padded = np.pad(heatmaps.astype(np.float64), ((0, 0), (r, r), (r, r)))
    rows = sum(k[j] * padded[:, :, j : j + w] for j in range(len(k)))
    out = sum(k[j] * rows[:, j : j + h, :] for j in range(len(k)))
    peak = heatmaps.reshape(len(heatmaps), -1).max(axis=1)
    blurred_peak = out.reshape(len(out), -1).max(axis=1)
    scale = np.divide(
        peak, blurred_peak, out=np.ones_like(peak, np.float64), where=blurred_peak != 0
    )
    return out * scale[:, None, None]


def refine_peak(log_map: np.ndarray, x: float, y: float) -> tuple[float, float]:
    """``_taylor``: one Newton step on the log heatmap from the integer peak, with central
    differences (second differences two cells apart), unless the peak is within
    :data:`TAYLOR_MARGIN` of the edge or the Hessian is singular."""
    h, w = log_map.shape
    px, py = int(x), int(y)
    if not (
        TAYLOR_MARGIN - 1 < px < w - TAYLOR_MARGIN and TAYLOR_MARGIN - 1 < py < h - TAYLOR_MARGIN
    ):
        return x, y
    f = log_map
    dx = 0.5 * (f[py, px + 1] - f[py, px - 1])
    dy = 0.5 * (f[py + 1, px] - f[py - 1, px])
    dxx = 0.25 * (f[py, px + 2] - 2 * f[py, px] + f[py, px - 2])
    dxy = 0.25 * (f[py + 1, px + 1] - f[py - 1, px + 1] - f[py + 1, px - 1] + f[py - 1, px - 1])
    dyy = 0.25 * (f[py + 2, px] - 2 * f[py, px] + f[py - 2, px])
    if dxx * dyy - dxy**2 == 0:
        return x, y
    offset = -np.linalg.inv(np.array([[dxx, dxy], [dxy, dyy]])) @ np.array([dx, dy])
    return x + float(offset[0]), y + float(offset[1])


def decode_heatmaps(heatmaps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``keypoints_from_heatmaps(..., unbiased=True)`` before the mapping back: ``(K, 2)``
    sub-cell peaks (x, y in heatmap cells) and ``(K,)`` scores (each raw map's maximum).
    A map whose maximum is not positive gives (−1, −1), as ``_get_max_preds``."""
    k, h, w = heatmaps.shape
    flat = heatmaps.reshape(k, -1)
    peak = flat.argmax(axis=1)
    scores = flat.max(axis=1)
    coords = np.stack([peak % w, peak // w], axis=1).astype(np.float64)
    coords[scores <= 0] = -1
    log_maps = np.log(np.maximum(modulate(heatmaps), HEATMAP_LOG_FLOOR))
    for i in range(k):
        coords[i] = refine_peak(log_maps[i], *coords[i])
    return coords, scores


def heatmap_to_frame(coords: np.ndarray, crop: PoseCrop, heatmap_wh: tuple[int, int]) -> np.ndarray:
    """``transform_preds`` (``use_udp=False``): cell (x, y) → the crop's left edge + x ×
    crop width / heatmap width (no half-cell shift), likewise for y."""
    (cx, cy), (sw, sh) = crop.center, crop.size
    out = np.empty_like(coords)
    out[:, 0] = coords[:, 0] * (sw / heatmap_wh[0]) + cx - sw * 0.5
    out[:, 1] = coords[:, 1] * (sh / heatmap_wh[1]) + cy - sh * 0.5
    return out


# --------------------------------------------------------------------------- face


def face_box(points: np.ndarray, frame_wh: tuple[int, int]) -> tuple[int, int, int, int]:
    """``get_face_bboxes(face, scale=1.3, ...)``: ``(x0, y0, x1, y1)`` whole pixels. The 68
    face points' box (every one, whatever its score), grown to :data:`FACE_AREA_SCALE` × its
    area at the same aspect: the added width split evenly, the added height three quarters
    above and one below; clipped to the frame and truncated. Not square: the crop is
    stretched to the face size."""
    w, h = frame_wh
    face = points[FACE, :2]
    min_x, min_y = face.min(axis=0)
    max_x, max_y = face.max(axis=0)
    fw = max(float(max_x - min_x), MIN_FACE_EXTENT)
    fh = max(float(max_y - min_y), MIN_FACE_EXTENT)
    area = fw * fh * FACE_AREA_SCALE
    grow_w = (math.sqrt(area * (fw / fh)) - fw) / 2
    quarter_h = (math.sqrt(area * (fh / fw)) - fh) / 4
    x0 = int(max(min_x - grow_w, 0))
    x1 = int(min(max_x + grow_w, w))
    y0 = int(max(min_y - FACE_GROWTH_QUARTERS_ABOVE * quarter_h, 0))
    y1 = int(min(max_y + quarter_h, h))
    # ours: never an empty crop (a face at or past the frame's edge)
    x0, y0 = min(x0, w - 1), min(y0, h - 1)
    return x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)


# --------------------------------------------------------------------------- drawing


def openpose_body(points: np.ndarray) -> np.ndarray:
    """The 20 body points :data:`OPENPOSE_BODY` makes of the 133 (x, y and score averaged)."""
    first, second = zip(*OPENPOSE_BODY, strict=True)
    return (points[list(first)] + points[list(second)]) / 2


def steady_body(body: np.ndarray, previous: np.ndarray | None) -> np.ndarray:
    """``pose2d_utils.py`` ``load_pose_metas_from_kp2ds_seq``: a frame whose every body point
    has a negative x or y (nobody found) keeps the previous frame's body."""
    if previous is not None and (body[:, :2].min(axis=1) < 0).all():
        return previous
    return body


def stick_width(width: int, height: int) -> int:
    """``draw_aapose_new`` v2 half-width of a limb and radius of a point."""
    return max(int(min(height, width) / STICK_DIVISOR) - 1, 1)


def ellipse_polygon(
    center: tuple[int, int], axes: tuple[int, int], angle: int
) -> list[tuple[int, int]]:
    """``cv2.ellipse2Poly(center, axes, angle, 0, 360, 1)``: a point per degree, rounded."""
    a = math.radians(angle % 360)
    t = np.radians(np.arange(0, 361))
    ex, ey = axes[0] * np.cos(t), axes[1] * np.sin(t)
    xs = np.round(center[0] + ex * math.cos(a) - ey * math.sin(a)).astype(int)
    ys = np.round(center[1] + ex * math.sin(a) + ey * math.cos(a)).astype(int)
    points = list(zip(xs.tolist(), ys.tolist(), strict=True))
    return [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]


def draw_pose(
    body: np.ndarray, left_hand: np.ndarray, right_hand: np.ndarray, width: int, height: int
) -> np.ndarray:
    """``draw_aapose_by_meta_new`` on a black ``width``×``height`` RGB canvas: limbs, then
    points, then both hands (``draw_handpose_new``). No face. uint8 ``(H, W, 3)``.

    The shapes are rasterised as OpenCV's LINE_8 drawing does (8-connected lines, convex
    fills with their outline, midpoint discs); a few edge pixels of a filled shape can
    still differ from it."""
    canvas = np.zeros((height, width, 3), np.uint8)
    stick = stick_width(width, height)
    seen = body[:, 2] >= KEYPOINT_THRESHOLD
    for (a, b), colour in zip(BODY_LIMBS, LIMB_COLOURS, strict=False):
        if not (seen[a] and seen[b]):
            continue
        (xa, ya), (xb, yb) = body[a, :2], body[b, :2]
        length = math.hypot(xa - xb, ya - yb)
        angle = int(math.degrees(math.atan2(ya - yb, xa - xb)))
        centre = (int((xa + xb) / 2), int((ya + yb) / 2))
        _fill_convex(canvas, ellipse_polygon(centre, (int(length / 2), stick), angle), colour)
    for (x, y, _), colour, ok in zip(body, BODY_COLOURS, seen, strict=True):
        if ok:
            _disc(canvas, int(x), int(y), stick, colour)
    hand_stick = max(stick // 2, 1)
    for hand in (left_hand, right_hand):
        for (a, b), colour in zip(HAND_EDGES, HAND_EDGE_COLOURS, strict=True):
            if hand[a, 2] < KEYPOINT_THRESHOLD or hand[b, 2] < KEYPOINT_THRESHOLD:
                continue
            ends = (int(hand[a, 0]), int(hand[a, 1]), int(hand[b, 0]), int(hand[b, 1]))
            if min(ends) > HAND_MIN_COORD:
                _stroke(canvas, ends, hand_stick, colour)
        for x, y, score in hand:
            if score >= KEYPOINT_THRESHOLD and int(x) > HAND_MIN_COORD and int(y) > HAND_MIN_COORD:
                _disc(canvas, int(x), int(y), hand_stick, HAND_POINT_COLOUR)
    return canvas


def _line_pixels(
    x0: int, y0: int, x1: int, y1: int, width: int, height: int
) -> tuple[np.ndarray, np.ndarray]:
    """An 8-connected line as OpenCV's ``LineIterator`` walks it: first cut to the canvas
    (:func:`_clip_line`), then left to right along its longer axis, stepping along the
    shorter one whenever the running error goes negative."""
    inside, (x0, y0, x1, y1) = _clip_line(x0, y0, x1, y1, width, height)
    if not inside:
        return np.empty(0, np.intp), np.empty(0, np.intp)
    if x1 < x0:
        x0, y0, x1, y1 = x1, y1, x0, y0
    dx, dy = x1 - x0, abs(y1 - y0)
    y_step = -1 if y1 < y0 else 1
    steep = dy > dx
    major, minor = (dy, dx) if steep else (dx, dy)
    err = major - 2 * minor
    xs, ys = np.empty(major + 1, np.intp), np.empty(major + 1, np.intp)
    x, y = x0, y0
    for i in range(major + 1):
        xs[i], ys[i] = x, y
        diagonal = err < 0
        err += 2 * major - 2 * minor if diagonal else -2 * minor
        if steep:
            x, y = x + diagonal, y + y_step
        else:
            x, y = x + 1, y + y_step * diagonal
    return xs, ys


def _clip_line(x0: int, y0: int, x1: int, y1: int, width: int, height: int):
    """``cv2.clipLine``: an end off the canvas moved along the line to the canvas's edge,
    first to the top or bottom row, then to the left or right column, in integer arithmetic
    (quotients truncated towards zero). ``(any part inside, the ends)``."""
    right, bottom = width - 1, height - 1

    def outcode(x: int, y: int) -> int:
        return (x < 0) + (x > right) * 2 + (y < 0) * 4 + (y > bottom) * 8

    def towards_zero(a: int, b: int) -> int:
        q = abs(a) // abs(b)
        return q if (a >= 0) == (b >= 0) else -q

    c0, c1 = outcode(x0, y0), outcode(x1, y1)
    if (c0 & c1) == 0 and (c0 | c1) != 0:
        if c0 & 12:
            row = 0 if c0 < 8 else bottom
            x0 += towards_zero((row - y0) * (x1 - x0), y1 - y0)
            y0, c0 = row, (x0 < 0) + (x0 > right) * 2
        if c1 & 12:
            row = 0 if c1 < 8 else bottom
            x1 += towards_zero((row - y1) * (x1 - x0), y1 - y0)
            y1, c1 = row, (x1 < 0) + (x1 > right) * 2
        if (c0 & c1) == 0 and (c0 | c1) != 0:
            if c0:
                col = 0 if c0 == 1 else right
                y0 += towards_zero((col - x0) * (y1 - y0), x1 - x0)
                x0, c0 = col, 0
            if c1:
                col = 0 if c1 == 1 else right
                y1 += towards_zero((col - x1) * (y1 - y0), x1 - x0)
                x1, c1 = col, 0
    return (c0 | c1) == 0, (x0, y0, x1, y1)


def _line(canvas: np.ndarray, x0: int, y0: int, x1: int, y1: int, colour) -> None:
    """``cv2.line(..., thickness=1)``."""
    xs, ys = _line_pixels(x0, y0, x1, y1, canvas.shape[1], canvas.shape[0])
    canvas[ys, xs] = colour


def _fill_convex(canvas: np.ndarray, corners, colour) -> None:
    """``cv2.fillConvexPoly``: the outline's lines, and on every row between the top and the
    bottom corner the span between the edges, its ends rounded. Corners may be sub-pixel
    (a thick line's): their rows are rounded, their x kept for the spans."""
    pts = [(float(x), math.floor(y + 0.5)) for x, y in corners]
    ends = np.array([(math.floor(x + 0.5), y) for x, y in pts], np.intp)
    starts = np.roll(ends, 1, axis=0)
    # a segment at most one pixel long is just its two ends (those on the canvas)
    short = np.abs(ends - starts).max(axis=1) <= 1
    dots = ends[short]
    on = (dots[:, 0] >= 0) & (dots[:, 0] < canvas.shape[1])
    on &= (dots[:, 1] >= 0) & (dots[:, 1] < canvas.shape[0])
    canvas[dots[on, 1], dots[on, 0]] = colour
    for (x0, y0), (x1, y1) in zip(starts[~short].tolist(), ends[~short].tolist(), strict=True):
        _line(canvas, x0, y0, x1, y1, colour)
    if len(pts) < 3:
        return
    xy = np.array(pts, np.float64)
    top, bottom = max(int(xy[:, 1].min()), 0), min(int(xy[:, 1].max()), canvas.shape[0] - 1)
    if bottom < top:
        return
    (xa, ya), (xb, yb) = np.roll(xy, 1, axis=0).T, xy.T
    rows = np.arange(top, bottom + 1, dtype=np.float64)[:, None]
    crosses = (np.minimum(ya, yb) <= rows) & (rows <= np.maximum(ya, yb))
    flat = ya == yb
    along = xa + (rows - ya) * (xb - xa) / np.where(flat, 1.0, yb - ya)
    # a flat edge on the row spans both its ends; any other meets the row once
    lo = np.where(flat, np.minimum(xa, xb), along)
    hi = np.where(flat, np.maximum(xa, xb), along)
    left = np.where(crosses, lo, np.inf).min(axis=1)
    right = np.where(crosses, hi, -np.inf).max(axis=1)
    for row, x0, x1 in zip(range(top, bottom + 1), left, right, strict=True):
        if np.isfinite(x0):
            x0 = max(math.floor(x0 + 0.5), 0)
            x1 = min(math.floor(x1 + 0.5), canvas.shape[1] - 1)
            canvas[row, x0 : x1 + 1] = colour


def _disc(canvas: np.ndarray, x: int, y: int, radius: int, colour) -> None:
    """``cv2.circle(..., thickness=-1)``: the rows of the midpoint circle, filled."""
    h, w = canvas.shape[:2]
    err, dx, dy, plus, minus = 0, radius, 0, 1, 2 * radius - 1
    while dx >= dy:
        for row, half in ((y - dy, dx), (y + dy, dx), (y - dx, dy), (y + dx, dy)):
            if 0 <= row < h and x + half >= 0 and x - half < w:
                canvas[row, max(x - half, 0) : min(x + half, w - 1) + 1] = colour
        dy, err, plus = dy + 1, err + plus, plus + 2
        if err > 0:
            err, dx, minus = err - minus, dx - 1, minus - 2


def _stroke(canvas: np.ndarray, ends: tuple[int, int, int, int], width: int, colour) -> None:
    """``cv2.line(..., thickness=width)``: one pixel wide for 1; wider, a band ``width / 2``
    each side (half a pixel more for odd widths) with round ends."""
    x0, y0, x1, y1 = ends
    if width <= 1:
        _line(canvas, x0, y0, x1, y1, colour)
        return
    length = math.hypot(x1 - x0, y1 - y0)
    if length > 0:
        half = width / 2 + (0.5 if width % 2 else 0.0)
        px, py = (y1 - y0) * half / length, (x0 - x1) * half / length
        band = [(x0 + px, y0 + py), (x0 - px, y0 - py), (x1 - px, y1 - py), (x1 + px, y1 + py)]
        _fill_convex(canvas, band, colour)
    for x, y in ((x0, y0), (x1, y1)):
        _disc(canvas, x, y, (width + 1) // 2, colour)


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
        previous = None
        for frame in frames:
            points = self.keypoints(frame, self.detect(frame))
            body = previous = steady_body(openpose_body(points), previous)
            canvas = draw_pose(body, points[LEFT_HAND], points[RIGHT_HAND], src_w, src_h)
            poses.append(Image.fromarray(letterbox(canvas, width, height)))
            x0, y0, x1, y1 = face_box(points, (src_w, src_h))
            faces.append(Image.fromarray(resize_linear(frame[y0:y1, x0:x1], face_size, face_size)))
        return MotionInputs(poses, faces, self.method)

    def detect(self, frame: np.ndarray | Image.Image) -> Box:
        """The person box the pose model looks at, in frame pixels (``Pose2d.__call__``: the
        detector, :func:`choose_person`, :func:`pose_box`)."""
        frame = np.asarray(frame)
        h, w = self.det_size
        x = detector_input(frame, (h, w))
        raw = np.asarray(self.detector.run(None, {self.detector.get_inputs()[0].name: x})[0])
        frame_wh = (frame.shape[1], frame.shape[0])
        return pose_box(
            choose_person(detections_in_frame(raw, frame_wh, (w, h)), frame_wh), frame_wh
        )

    def keypoints(self, frame: np.ndarray | Image.Image, box: Box) -> np.ndarray:
        """``(133, 3)`` keypoints (x, y in frame pixels, score): ``ViTPose.preprocess`` and
        ``ViTPose.forward``."""
        frame = np.asarray(frame)
        crop = pose_crop(box, self.pose_size)
        x = pose_input(frame, crop, self.pose_size)
        heatmaps = np.asarray(self.pose.run(None, {self.pose.get_inputs()[0].name: x})[0])[0]
        coords, scores = decode_heatmaps(heatmaps)
        xy = heatmap_to_frame(coords, crop, (heatmaps.shape[2], heatmaps.shape[1]))
        return np.concatenate([xy, scores[:, None]], axis=1)


def _input_hw(session) -> tuple[int, int]:
    shape = session.get_inputs()[0].shape
    h, w = shape[2], shape[3]
    if not isinstance(h, int) or not isinstance(w, int):
        raise ValueError(f"{session.get_inputs()[0].name} has no fixed input size ({shape})")
    return h, w


# --------------------------------------------------------------------------- fallback


FALLBACK_FACE_SIDE = 0.5
"""Fallback face crop: a square this share of the frame's shorter side..."""
FALLBACK_FACE_TOP = 0.05
"""...centred across, its top this share of the frame's height down."""


class ClassicalMotionPreprocessor(MotionPreprocessor):
    """FALLBACK without Wan's pose/face models: edge maps and a fixed face crop.

    The pose frame is the reference's edge map (Sobel-like ``FIND_EDGES`` on grey),
    letterboxed like the skeletons; the face frame is the upper-centre square of each frame.
    The model was trained on skeletons and tracked faces, so motion follows only roughly.
    """

    method = "classical"

    def __call__(self, frames, width, height, face_size) -> MotionInputs:
        poses, faces = [], []
        src_h, src_w = frames.shape[1:3]
        side = max(1, int(min(src_w, src_h) * FALLBACK_FACE_SIDE))
        x0, y0 = (src_w - side) // 2, int(src_h * FALLBACK_FACE_TOP)
        for frame in frames:
            edges = np.asarray(Image.fromarray(frame).convert("L").filter(ImageFilter.FIND_EDGES))
            poses.append(Image.fromarray(letterbox(edges, width, height)).convert("RGB"))
            face = frame[y0 : y0 + side, x0 : x0 + side]
            faces.append(Image.fromarray(resize_linear(face, face_size, face_size)))
        return MotionInputs(poses, faces, self.method)


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
            detector, pose = _model_file(root, DETECTOR), _model_file(root, POSE)
            assert detector is not None and pose is not None  # what found the folder
            return OnnxMotionPreprocessor(detector, pose)
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
