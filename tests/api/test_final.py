"""``POST /v1/videos/final``: a finished task re-rendered at 4K with its seed and plan, as a
new task of its own (priced as a new 4K task); refusals name ``task_id``."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import b64


def _submit(service, headers, path="/v1/videos/text2video", **body) -> str:
    answer = service.client.post(path, json=body, headers=headers).json()
    assert answer["code"] == 0, answer
    return answer["data"]["task_id"]


def _final(service, headers, **body) -> dict:
    return service.client.post("/v1/videos/final", json=body, headers=headers).json()


def _sizeless(plan: dict) -> dict:
    drop = ("width", "height")
    out = {k: v for k, v in plan.items() if k not in drop}
    out["segments"] = [{k: v for k, v in s.items() if k not in drop} for s in plan["segments"]]
    return out


def test_a_finished_draft_is_rendered_again_at_4k_with_its_seed_and_plan(make_service):
    from reelforge.media.probe import probe_video
    from reelforge.service.worker import _default_render

    service = make_service(render=_default_render, previz=True)
    headers = service.headers("a", credits=1000)
    # no seed given: the draft's is the one its render drew (read from its sidecar)
    tid = _submit(service, headers, prompt="A lighthouse at dusk.", duration="3", mode="std")
    draft = service.wait(f"/v1/videos/text2video/{tid}", headers, timeout=60)
    assert draft["task_status"] == "succeed" and draft["task_tier"] == "cinema"

    answer = _final(service, headers, task_id=tid, mode="4k", external_task_id="final-1")
    assert answer["code"] == 0, answer
    created = answer["data"]
    assert created["task_status"] == "submitted" and created["task_tier"] == "cinema"
    assert created["task_info"]["external_task_id"] == "final-1"
    done = service.wait(f"/v1/videos/final/{created['task_id']}", headers, timeout=120)
    assert done["task_status"] == "succeed", done["task_status_msg"]
    assert done["final_unit_deduction"] == "90"  # cinema 4K, silent: 30 a second × 3 s
    by_external = service.client.get("/v1/videos/final/final-1", headers=headers).json()["data"]
    assert by_external["task_id"] == created["task_id"]
    listed = service.client.get("/v1/videos/final", headers=headers).json()["data"]
    assert [t["task_id"] for t in listed] == [created["task_id"]]

    store = service.store
    small_task, big_task = store.tasks.get_any(tid), store.tasks.get_any(created["task_id"])
    assert big_task.endpoint == "final" and big_task.workflow == "text2video"
    assert big_task.request == {"task_id": tid, "mode": "4k", "external_task_id": "final-1"}
    small_video = store.artifacts.root / small_task.videos[0]["path"]
    big_video = store.artifacts.root / big_task.videos[0]["path"]
    small, big = probe_video(small_video), probe_video(big_video)
    assert (small.width, small.height) == (1280, 720) and (big.width, big.height) == (3840, 2160)
    assert big.frames == small.frames == 72 and big.fps == small.fps
    drafted = json.loads(small_video.with_suffix(".json").read_text())
    final = json.loads(big_video.with_suffix(".json").read_text())
    assert final["seeds"] == drafted["seeds"]
    assert (
        final["request"]["seed"] == drafted["seeds"]["task"] and drafted["request"]["seed"] is None
    )
    assert _sizeless(final["plan"]) == _sizeless(drafted["plan"])
    assert final["final"]["seed"] == drafted["seeds"]["task"]  # the final names its draft
    assert Path(final["final"]["draft"]) == small_video.with_suffix(".json").resolve()

    # the studio lists it with the draft's prompt
    tasks = service.client.get("/v1/studio/tasks", headers=headers).json()["data"]
    shown = next(t for t in tasks if t["task_id"] == created["task_id"])
    assert shown["endpoint"] == "final" and shown["prompt"] == "A lighthouse at dusk."

    # a final of the final: already 4K
    again = _final(service, headers, task_id=created["task_id"])
    assert again["code"] == 1201 and again["message"].startswith("task_id: the draft is already 4k")


def test_refusals_name_task_id(make_service):
    service = make_service()  # the fake renderer: instant, no sidecar
    headers = service.headers("a", credits=1000)
    unknown = _final(service, headers, task_id="nope")
    assert unknown["code"] == 1201
    assert unknown["message"] == "task_id: 'nope' is not a task of this account"

    four_k = _submit(service, headers, prompt="A calm sea.", duration="3", mode="4k", seed=1)
    turbo = _submit(
        service, headers, prompt="A calm sea.", duration="3", model_name="kling-v2-5-turbo", seed=1
    )
    seedless = _submit(service, headers, prompt="A calm sea.", duration="3")
    for tid in (four_k, turbo, seedless):
        assert service.wait(f"/v1/videos/text2video/{tid}", headers)["task_status"] == "succeed"

    other = _final(service, service.headers("b"), task_id=turbo)
    assert other["code"] == 1201 and other["message"].startswith("task_id: ")
    assert "is not a task of this account" in other["message"]
    already = _final(service, headers, task_id=four_k)
    assert already["code"] == 1201
    assert already["message"].startswith("task_id: the draft is already 4k")
    no_4k = _final(service, headers, task_id=turbo)
    assert no_4k["code"] == 1201
    assert no_4k["message"] == (
        "task_id: the draft's tier 'turbo' renders 720p only, so it has no 4k final "
        "(tiers with 4k text2video: cinema, animatic)"
    )
    lost = _final(service, headers, task_id=seedless)  # the fake render wrote no sidecar
    assert lost["code"] == 1201 and "has no record of its seed" in lost["message"]
    pro = _final(service, headers, task_id=four_k, mode="pro")
    assert pro["code"] == 1200 and pro["message"].startswith("mode:")
    missing = _final(service, headers)
    assert missing["code"] == 1200 and missing["message"].startswith("task_id:")
    balance = service.store.balance(service.store.account("a").id)
    # the three drafts (the seedless one without mode: cinema's own 1080p, 8/s); no refused
    # final was charged
    assert balance == 1000 - 90 - 9 - 24


def test_an_unfinished_task_is_refused(make_service):
    service = make_service(run_workers=False)
    headers = service.headers("a", credits=1000)
    tid = _submit(service, headers, prompt="A calm sea.", duration="3", seed=4)
    answer = _final(service, headers, task_id=tid)
    assert answer["code"] == 1201
    assert answer["message"] == (
        f"task_id: task {tid!r} has not succeeded (status submitted); a final re-renders a finished draft"
    )


def test_an_image_draft_final_takes_its_own_copy_of_the_inputs_and_is_charged_as_4k(
    make_service, files
):
    service = make_service()
    headers = service.headers("a", credits=1000)
    image = files.image(640, 360)
    tid = _submit(
        service,
        headers,
        "/v1/videos/image2video",
        image=b64(image),
        prompt="The boats drift.",
        duration="5",
        mode="pro",
        seed=11,
        model_name="kling-v3",
        sound="on",
    )
    assert service.wait(f"/v1/videos/image2video/{tid}", headers)["task_status"] == "succeed"
    before = service.store.balance(service.store.account("a").id)
    answer = _final(service, headers, task_id=tid)
    assert answer["code"] == 0, answer
    fid = answer["data"]["task_id"]
    done = service.wait(f"/v1/videos/final/{fid}", headers)
    assert done["task_status"] == "succeed" and done["final_unit_deduction"] == "150"  # 30 × 5 s
    assert service.store.balance(service.store.account("a").id) == before - 150

    draft, final = service.store.tasks.get_any(tid), service.store.tasks.get_any(fid)
    assert final.workflow == "image2video" and final.tier == "cinema"
    assert final.translated == {
        **draft.translated,
        "image": final.translated["image"],
        "seed": 11,
        "resolution": "4k",
    }
    copied = Path(final.translated["image"])
    assert copied.is_file() and copied.read_bytes() == Path(draft.translated["image"]).read_bytes()
    assert copied.parent == service.store.artifacts.inputs_dir(final.account_id, fid)
