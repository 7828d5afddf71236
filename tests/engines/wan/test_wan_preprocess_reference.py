"""Wan-Animate preprocessing, step by step against Wan's own (Wan-Video/Wan2.2,
wan/modules/animate/preprocess/): every expected number below is worked out by hand in the
comments, from the reference's formulas, not by calling the code under test twice."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reelforge.engines.wan import preprocess as wp

# --------------------------------------------------------------------------- resize


def test_resize_is_bilinear_with_half_pixel_centres():
    # cv2.resize(INTER_LINEAR): source x = (x' + 0.5) · src/dst − 0.5, clamped to the edges.
    row = np.array([[0, 100, 200, 250]], np.uint8)
    # 4 → 2: x' = 0 → 0.5 (halfway 0..100) = 50; x' = 1 → 2.5 (halfway 200..250) = 225
    assert wp.resize_linear(row, 2, 1).tolist() == [[50, 225]]
    # 2 → 4: x = −0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1) → 0, 25, 75, 100
    assert wp.resize_linear(np.array([[0, 100]], np.uint8), 4, 1).tolist() == [[0, 25, 75, 100]]


# --------------------------------------------------------------------------- detection


def test_detector_input_is_a_plain_resize_not_a_letterbox():
    # Yolo.preprocess: cv2.resize to 640×640 as it is. A 128×64 frame, red left half, blue
    # right half, into 64×64: x is halved, y kept, no grey (114) bars above or below.
    frame = np.zeros((64, 128, 3), np.uint8)
    frame[:, :64] = (255, 0, 0)
    frame[:, 64:] = (0, 0, 255)
    x = wp.detector_input(frame, (64, 64))
    assert x.shape == (1, 3, 64, 64) and x.dtype == np.float32
    # column 31 samples source x = 31.5·2 − 0.5 = 62.5 (red); column 32 samples 64.5 (blue)
    assert x[0, :, :, :32].reshape(3, -1).T.tolist() == [[1.0, 0.0, 0.0]] * (64 * 32)
    assert x[0, :, :, 32:].reshape(3, -1).T.tolist() == [[0.0, 0.0, 1.0]] * (64 * 32)


def test_boxes_map_back_to_the_frame_and_truncate_like_the_reference():
    # 1280×720 frame, 640×640 detector: x × 2, y × 1.125; then x, y, w, h truncated.
    raw = np.array([[100.3, 200.6, 300.9, 520.2, 0.8, 0]])
    (box,) = wp.detections_in_frame(raw, (1280, 720), (640, 640))
    # x1 = 200.6 → 200, w = 601.8 − 200.6 = 401.2 → 401, x2 = 200 + 401 = 601;
    # y1 = 225.675 → 225, h = 585.225 − 225.675 = 359.55 → 359, y2 = 225 + 359 = 584
    assert box[:4] == [200.0, 225.0, 601.0, 584.0]
    assert box[4] == pytest.approx(0.8) and box[5] == 0.0


def _person(raw_rows, frame=(640, 640)):
    raw = np.array(raw_rows, np.float64)
    return wp.choose_person(wp.detections_in_frame(raw, frame, frame), frame)


def test_detection_threshold_is_0_05():
    box = [10, 10, 110, 210]
    assert _person([[*box, 0.04, 0]]) is None  # below Yolo's threshold_conf
    assert _person([[*box, 0.05, 0]]) is None  # NMSBoxes keeps only scores above it
    assert _person([[*box, 0.06, 0]])[:4] == (10.0, 10.0, 110.0, 210.0)  # 0.3 would drop it
    # no person: the pose model looks at the whole frame (ViTPose.preprocess)
    assert wp.pose_box(None, (640, 480)) == (0.0, 0.0, 640.0, 480.0)


def test_the_largest_person_wins_not_the_best_scored():
    a = [10, 10, 50, 90, 0.9, 0]  # 40 × 80 = 3200 px², best score
    b = [100, 20, 200, 220, 0.5, 0]  # 100 × 200 = 20000 px²
    c = [0, 0, 300, 300, 0.95, 2]  # bigger still, but a car (class 2); IoU with b 0.22
    assert _person([a, b, c])[:4] == (100.0, 20.0, 200.0, 220.0)


def test_nms_drops_a_larger_box_overlapping_a_better_one():
    p = [0, 0, 40, 40, 0.9, 0]  # 1600 px²
    q = [0, 0, 40, 48, 0.8, 0]  # 1920 px², IoU with p = 1600 / 1920 = 0.83 > 0.5: dropped
    assert _person([p, q])[:4] == (0.0, 0.0, 40.0, 40.0)


def test_a_box_much_shorter_than_the_longest_is_passed_over():
    # thin: 500 px², longest side 100; square: 900 px², longest side 30 < 0.4 × 100. Whichever
    # scores better (process_results walks them best score first), the square is passed over.
    for thin_score, square_score in ((0.9, 0.8), (0.8, 0.9)):
        thin = [0, 0, 100, 5, thin_score, 0]
        square = [200, 0, 230, 30, square_score, 0]
        assert _person([thin, square])[:4] == (0.0, 0.0, 100.0, 5.0)


def test_a_tiny_person_box_means_the_whole_frame():
    # ViTPose.preprocess: a box under 10 px either way is not used
    assert wp.pose_box((5, 5, 14, 200, 0.9), (640, 480)) == (0.0, 0.0, 640.0, 480.0)
    assert wp.pose_box((5, 5, 15, 200, 0.9), (640, 480)) == (5.0, 5.0, 15.0, 200.0)


# --------------------------------------------------------------------------- pose crop


def test_pose_crop_and_the_way_back_from_heatmap_cells():
    # Box 60 × 200 centred at (130, 150); model 256×192 (aspect 4/3): bbox_from_detector's
    # size = max(60 · 4/3, 200) = 200 → crop 200 · 3/4 · 1.25 = 187.5 wide, 250 high.
    crop = wp.pose_crop((100, 50, 160, 250), (256, 192))
    assert crop.center == (130.0, 150.0)
    assert crop.size == pytest.approx((187.5, 250.0))
    # window: x 130 ∓ 93.75 = 36.25 → 36, 223.75 → 224; y 150 ∓ 125 = 25, 275
    assert crop.window == (36, 25, 224, 275)
    # transform_preds on a 48×64 heatmap: x = cell · 187.5/48 + 130 − 93.75 (no half cell)
    cells = np.array([[24.0, 32.0], [0.0, 0.0], [47.0, 63.0]])
    back = wp.heatmap_to_frame(cells, crop, (48, 64))
    # (24, 32) → (93.75 + 36.25, 125 + 25); (0, 0) → (36.25, 25);
    # (47, 63) → (47 · 3.90625 + 36.25, 63 · 3.90625 + 25) = (219.84375, 271.09375)
    want = [[130.0, 150.0], [36.25, 25.0], [219.84375, 271.09375]]
    np.testing.assert_allclose(back, want, rtol=0, atol=1e-9)


def test_pose_input_reverses_channels_and_normalises():
    # Pose2d.load_images turns decord's RGB into BGR before ViTPose.preprocess, which then
    # normalises with the RGB ImageNet statistics in that order.
    frame = np.zeros((64, 48, 3), np.uint8)
    frame[...] = (255, 0, 0)  # pure red
    crop = wp.pose_crop((0, 0, 48, 64), (32, 24))  # the window is larger than the frame
    x = wp.pose_input(frame, crop, (32, 24))
    # inside: channel 0 sees blue 0 → (0 − 0.485) / 0.229; channel 2 sees red 1 → (1 − 0.406) / 0.225
    assert x[0, :, 16, 12] == pytest.approx(
        [-0.485 / 0.229, -0.456 / 0.224, 0.594 / 0.225], abs=1e-5
    )
    # window: 64 · 1.25 = 80 high, 60 wide around (24, 32): x −6..54, y −8..72; the top-left
    # input pixel samples outside the frame, which crop() leaves black
    assert crop.window == (-6, -8, 54, 72)
    assert x[0, :, 0, 0] == pytest.approx(
        [-0.485 / 0.229, -0.456 / 0.224, -0.406 / 0.225], abs=1e-5
    )


# --------------------------------------------------------------------------- decoding


def test_taylor_step_lands_on_the_peak_of_a_quadratic():
    # f = −((x − 5.3)² + 2 (y − 4.6)²) is its own second-order expansion: from (5, 5)
    # dx = ½(f(6,5) − f(4,5)) = ½(−0.49 + 1.69) = 0.6, dxx = ¼(f(7,5) − 2f(5,5) + f(3,5)) = −2
    # → x + 0.3; dy = −1.6, dyy = −4 → y − 0.4; dxy = 0.
    ys, xs = np.mgrid[0:10, 0:12].astype(np.float64)
    f = -((xs - 5.3) ** 2 + 2 * (ys - 4.6) ** 2)
    assert wp.refine_peak(f, 5.0, 5.0) == pytest.approx((5.3, 4.6), abs=1e-12)
    # _taylor leaves a peak within two cells of the edge alone (1 < x < W − 2)
    assert wp.refine_peak(f, 1.0, 5.0) == (1.0, 5.0)
    assert wp.refine_peak(f, 5.0, 8.0) == (5.0, 8.0)


def test_modulation_is_the_sigma_2_gaussian_rescaled_to_the_peak():
    # _gaussian_blur with kernel 11: OpenCV's sigma 0.3 · ((11 − 1) · 0.5 − 1) + 0.8 = 2, so a
    # single spike becomes exp(−d² / 8) around it, scaled back to the spike's height.
    spike = np.zeros((1, 21, 21))
    spike[0, 10, 10] = 3.0
    out = wp.modulate(spike)[0]
    assert out[10, 10] == pytest.approx(3.0)
    assert out[10, 11] / 3 == pytest.approx(math.exp(-1 / 8))
    assert out[12, 12] / 3 == pytest.approx(math.exp(-8 / 8))


def test_dark_decoding_finds_a_gaussian_peak_between_cells():
    # A σ = 2 Gaussian centred at (20.3, 30.6): blurred again it stays a Gaussian about the same
    # centre, its log a paraboloid, and the Taylor step recovers the centre; the integer
    # argmax alone would say (20, 31). The score is the raw maximum, at cell (20, 31):
    # exp(−(0.3² + 0.4²) / 8) = exp(−0.03125).
    ys, xs = np.mgrid[0:64, 0:48]
    heat = np.exp(-((xs - 20.3) ** 2 + (ys - 30.6) ** 2) / (2 * 2.0**2))[None]
    coords, scores = wp.decode_heatmaps(heat)
    assert coords[0] == pytest.approx((20.3, 30.6), abs=0.01)
    assert scores[0] == pytest.approx(math.exp(-0.03125))
    # a map with no positive value: _get_max_preds says (−1, −1)
    coords, scores = wp.decode_heatmaps(-np.ones((1, 8, 6)))
    assert coords[0].tolist() == [-1.0, -1.0] and scores[0] == -1.0


# --------------------------------------------------------------------------- face crop


def _points(face_xy: np.ndarray) -> np.ndarray:
    """133 keypoints: the face ones as given (score 0.1), all others far off (score 1)."""
    points = np.tile([900.0, 900.0, 1.0], (133, 1))
    points[wp.FACE, :2] = face_xy
    points[wp.FACE, 2] = 0.1  # get_face_bboxes takes every face point, whatever its score
    return points


def test_face_box_grows_to_1_3_times_its_area_mostly_upwards():
    face = np.column_stack([np.linspace(100, 140, 68), np.linspace(250, 200, 68)])
    # 40 × 50 box; area × 1.3 at the same aspect: width √(2600 · 0.8) = 45.607 (+2.8035 a
    # side), height √(2600 · 1.25) = 57.009; the 7.009 added px in quarters of 1.7522, three
    # above. x 97.196 → 97, 142.80 → 142; y 200 − 5.2566 = 194.74 → 194, 251.75 → 251.
    assert wp.face_box(_points(face), (640, 480)) == (97, 194, 142, 251)
    # clipped to the frame: x 2..42, y 1..51 → (max(2 − 2.80, 0), max(1 − 5.26, 0), 44.8, 52.75)
    near = np.column_stack([np.linspace(2, 42, 68), np.linspace(1, 51, 68)])
    assert wp.face_box(_points(near), (640, 480)) == (0, 0, 44, 52)


# --------------------------------------------------------------------------- drawing


def _blank_keypoints() -> np.ndarray:
    return np.zeros((133, 3))


def _draw(points: np.ndarray, width: int = 800, height: int = 600) -> np.ndarray:
    body = wp.openpose_body(points)
    return wp.draw_pose(body, points[wp.LEFT_HAND], points[wp.RIGHT_HAND], width, height)


def test_skeleton_limbs_points_and_widths():
    p = _blank_keypoints()
    p[6] = (300, 200, 0.9)  # right shoulder
    p[5] = (500, 200, 0.9)  # left shoulder → neck (the mean) at (400, 200), score 0.9
    p[8] = (300, 400, 0.4)  # right elbow, under the 0.5 threshold
    p[7] = (500, 400, 0.5)  # left elbow, exactly at it (drawn: the test is score < 0.5)
    p[wp.FACE] = (600, 500, 1.0)  # face points are never drawn
    img = _draw(p)
    # 800×600 canvas: stickwidth v2 = max(int(600 / 200) − 1, 1) = 2
    # limb 0 (neck → right shoulder) in (255, 0, 0) · 0.6 = (153, 0, 0), an ellipse 2 px
    # half-wide; limb 1 (neck → left shoulder) in (255, 85, 0) · 0.6 = (153, 51, 0)
    assert img[200, 350].tolist() == [153, 0, 0]
    assert img[202, 350].tolist() == [153, 0, 0] and img[203, 350].tolist() == [0, 0, 0]
    assert img[200, 450].tolist() == [153, 51, 0]
    # limb 4 (left shoulder → left elbow) in (170, 255, 0) · 0.6 = (102, 153, 0)
    assert img[300, 500].tolist() == [102, 153, 0]
    # points in full colour, discs of radius 2: neck colour 1, right shoulder 2, left elbow 6
    assert img[200, 400].tolist() == [255, 85, 0]
    assert img[202, 300].tolist() == [255, 170, 0] and img[201, 301].tolist() == [255, 170, 0]
    assert img[202, 301].tolist() == [0, 0, 0]  # the disc's corner is not filled
    assert img[400, 500].tolist() == [0, 255, 0]
    # the low-score elbow: neither its point nor its limb (would be (153, 153, 0))
    assert img[400, 300].tolist() == [0, 0, 0] and img[300, 300].tolist() == [0, 0, 0]
    assert img[500, 600].tolist() == [0, 0, 0]  # no face
    assert {tuple(c) for c in img.reshape(-1, 3)} <= {
        (0, 0, 0),
        (153, 0, 0),
        (153, 51, 0),
        (102, 153, 0),
        (255, 85, 0),
        (255, 170, 0),
        (85, 255, 0),
        (0, 255, 0),
    }


def test_hands_edges_in_hsv_colours_points_in_blue():
    p = _blank_keypoints()
    left = wp.LEFT_HAND.start
    for i, x in enumerate((100, 140, 180, 220)):  # wrist, thumb 1, 2, 3 on one row
        p[left + i] = (x, 500, 0.9)
    right = wp.RIGHT_HAND.start
    p[right] = (0, 550, 0.9)  # a wrist at x = 0: draw_handpose_new's eps drops it
    p[right + 1] = (50, 550, 0.9)
    img = _draw(p)
    # hand stickwidth v2 = max(2 // 2, 1) = 1; edge i in hsv(i / 20, 1, 1) · 255:
    # edge 0 hue 0 → (255, 0, 0); edge 2 hue 0.1 → (255, 0.6 · 255, 0) = (255, 153, 0)
    assert img[500, 120].tolist() == [255, 0, 0]
    assert img[500, 200].tolist() == [255, 153, 0]
    assert img[500, 100].tolist() == [0, 0, 255] and img[501, 140].tolist() == [0, 0, 255]
    assert img[550, 0].tolist() == [0, 0, 0] and img[550, 25].tolist() == [0, 0, 0]
    assert img[550, 50].tolist() == [0, 0, 255]


def test_a_frame_without_a_body_keeps_the_previous_one():
    before = np.tile([10.0, 20.0, 0.9], (20, 1))
    lost = np.tile([-5.0, 30.0, 0.9], (20, 1))  # every point has a negative coordinate
    assert wp.steady_body(lost, before) is before
    partly = lost.copy()
    partly[3] = (4.0, 4.0, 0.9)
    assert wp.steady_body(partly, before) is partly
    assert wp.steady_body(lost, None) is lost


def test_letterbox_truncates_like_padding_resize():
    # utils.py padding_resize: 200×100 into 100×100 → 100 × int(100/200 · 100) = 50 high,
    # top bar int((100 − 50) / 2) = 25
    assert wp.letterbox_geometry(200, 100, 100, 100) == (100, 50, 0, 25)
    # 3×2 into 100×100: height int(66.67) = 66 (not 67), top int(17.0) = 17
    assert wp.letterbox_geometry(3, 2, 100, 100) == (100, 66, 0, 17)
    # 100×300 into 160×90: width int(90/300 · 100) = 30, left int(65.0) = 65
    assert wp.letterbox_geometry(100, 300, 160, 90) == (30, 90, 65, 0)
    white = np.full((100, 200, 3), 255, np.uint8)
    out = wp.letterbox(white, 100, 100)
    assert out[:25].max() == 0 and out[25:75].min() == 255 and out[75:].max() == 0


# --------------------------------------------------------------------------- end to end


def _constant_model(path, input_shape, output):
    """An ONNX model that ignores its input and returns ``output``."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph(
        [
            helper.make_node("ReduceMean", ["x"], ["m"], keepdims=0),
            helper.make_node("Mul", ["m", "zero"], ["z"]),
            helper.make_node("Add", ["const", "z"], ["y"]),
        ],
        "const",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, input_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(output.shape))],
        [
            numpy_helper.from_array(output.astype(np.float32), "const"),
            numpy_helper.from_array(np.zeros((), np.float32), "zero"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))


def test_onnx_preprocessor_end_to_end(tmp_path):
    """Hand-made detector and pose models with known outputs, through the whole chain."""
    pytest.importorskip("onnxruntime")
    root = tmp_path / wp.CHECKPOINT_DIR
    # the detector sees the 128×64 frame squeezed to 64×64 (x × 2 back, y × 1)
    boxes = np.array([[[16, 8, 48, 56, 0.9, 0], [0, 0, 64, 64, 0.95, 3]]])  # class 3: no person
    _constant_model(root / wp.DETECTOR[0] / wp.DETECTOR[1], [1, 3, 64, 64], boxes)
    heat = np.zeros((1, 133, 8, 6))
    heat[0, :, 0, 0] = 1.0  # every keypoint in the crop's top-left cell...
    heat[0, 23:57, 2, 2] = 2.0  # ...but half the face at column 2, row 2
    heat[0, 57:91, 5, 3] = 2.0  # and half at column 3, row 5
    heat[0, 23:91, 0, 0] = 0.0
    _constant_model(root / wp.POSE[0] / wp.POSE[1], [1, 3, 32, 24], heat)
    pre = wp.load_preprocessor(tmp_path)
    assert isinstance(pre, wp.OnnxMotionPreprocessor)

    frame = np.zeros((64, 128, 3), np.uint8)
    # person box: x 16·2 = 32 .. 48·2 = 96, y 8 .. 56 (the car's IoU with it is 0.375: kept)
    assert pre.detect(frame) == (32.0, 8.0, 96.0, 56.0)
    # crop: 64 × 48 box, size max(64 · 4/3, 48) = 85.33 → 80 × 106.67 about (64, 32)
    # cell (x, y) → (24 + x · 80/6, −21.33 + y · 106.67/8); a spike's Taylor step is zero
    points = pre.keypoints(frame, pre.detect(frame))
    assert points[0].tolist() == pytest.approx([24.0, -64 / 3, 1.0])
    assert points[23].tolist() == pytest.approx([24 + 160 / 6, -64 / 3 + 80 / 3, 2.0])
    assert points[90].tolist() == pytest.approx([64.0, -64 / 3 + 200 / 3, 2.0])
    # face box: x 50.67..64, y 5.33..45.33 (13.33 × 40); × 1.3 in area → width 15.20
    # (+0.9345 a side), height 45.61 (quarters of 1.4018, three above):
    # x int(49.73) = 49, int(64.93) = 64; y int(1.128) = 1, int(46.74) = 46
    assert wp.face_box(points, (128, 64)) == (49, 1, 64, 46)

    frame[1:46, 49:64] = (200, 30, 90)  # exactly the face box: the crop is that colour only
    out = pre(np.stack([frame, frame]), 32, 32, 16)
    assert out.method == "onnx" and len(out.pose) == len(out.face) == 2
    assert out.face[0].size == (16, 16)
    assert np.unique(np.asarray(out.face[0]).reshape(-1, 3), axis=0).tolist() == [[200, 30, 90]]
    # 128×64 letterboxed into 32×32: 16 rows high, black bars of 8 above and below
    pose = np.asarray(out.pose[0])
    assert pose.shape == (32, 32, 3) and pose[:8].max() == 0 and pose[24:].max() == 0
