"""Screenshots of every studio page at 1280×800 for the README (``docs/screenshots/``).

Run from the repository root with Debian's Chromium installed (``/usr/bin/chromium``):

    .venv/bin/python docs/screenshots.py

It starts ``reelforge serve --previz --no-auth`` on a free loopback port with a temporary
REELFORGE_HOME (the same harness as ``tests/studio``), renders a few animatic tasks so the
queue and gallery have something to show, fills each page with sample inputs, and saves
``text2video.png``, ``text2video-multishot.png``, ``image2video.png``, ``omni.png``, ``motion.png``, ``avatar.png``,
``player.png``, ``sign-in.png`` and ``phone.png``.
"""

from __future__ import annotations

import base64
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.studio.harness import (  # noqa: E402
    PHONE,
    Server,
    api_key,
    chromium_missing,
    launch,
    open_studio,
    write_image,
    write_video,
    write_wav,
)

OUT = ROOT / "docs" / "screenshots"
HARBOR = ROOT / "examples" / "harbor.jpg"


def b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def seed_tasks(server: Server, media: dict[str, Path]) -> None:
    """A few finished animatic tasks for the gallery."""
    api = f"{server.url}/v1/videos"
    bodies = [
        (
            "text2video",
            {
                "model_name": "animatic",
                "mode": "std",
                "seed": 7,
                "multi_shot": True,
                "shot_type": "customize",
                "duration": "6",
                "prompt": "Neon noir, light rain.",
                "multi_prompt": [
                    {
                        "index": 1,
                        "prompt": "Wide shot of a rain-slicked street at night. Camera: static.",
                        "duration": "2",
                    },
                    {
                        "index": 2,
                        "prompt": "A woman in a red coat leaves the subway. Camera: slow push in.",
                        "duration": "2",
                    },
                    {
                        "index": 3,
                        "prompt": "Close-up, raindrops on her cheek. Camera: static.",
                        "duration": "2",
                    },
                ],
            },
        ),
        (
            "image2video",
            {
                "model_name": "animatic",
                "mode": "std",
                "seed": 11,
                "duration": "5",
                "image": b64(HARBOR),
                "prompt": "The boats drift towards the harbour as the lighthouse beam sweeps. Camera: slow pan left.",
            },
        ),
        (
            "avatar/image2video",
            {
                "mode": "std",
                "image": b64(media["face"]),
                "sound_file": b64(media["voice"]),
                "prompt": "calm professional presenter",
            },
        ),
    ]
    ids = []
    for endpoint, body in bodies:
        answer = httpx.post(f"{api}/{endpoint}", json=body, timeout=60).json()
        assert answer["code"] == 0, answer
        ids.append((endpoint, answer["data"]["task_id"]))
    deadline = time.monotonic() + 180
    for endpoint, task_id in ids:
        while time.monotonic() < deadline:
            status = httpx.get(f"{api}/{endpoint}/{task_id}", timeout=10).json()["data"][
                "task_status"
            ]
            if status in ("succeed", "failed"):
                break
            time.sleep(0.5)


def settle(page, top: bool = True) -> None:
    page.wait_for_timeout(700)  # debounced estimate and lint
    page.evaluate("document.activeElement?.blur()")
    if top:
        page.evaluate("document.querySelector('.create').scrollTop = 0")


def main() -> int:
    missing = chromium_missing()
    if missing:
        print(missing, file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        media = {
            "face": write_image(tmp / "face.png", (512, 512), (60, 70, 120)),
            "voice": write_wav(tmp / "voice.wav", seconds=4.0),
            "ref1": write_image(tmp / "hero.png", (480, 640), (120, 40, 60)),
            "ref2": write_image(tmp / "market.png", (640, 360), (40, 110, 90)),
            "moves": write_video(tmp / "moves.mp4", seconds=3.0),
        }
        server = Server(tmp / "home", args=("--no-auth",)).start()
        try:
            seed_tasks(server, media)
            with sync_playwright() as pw:
                context = launch(pw, tmp / "profile")
                page = context.new_page()
                shoot(page, server.url, media)
                context.close()
                context = launch(pw, tmp / "phone", PHONE)
                page = context.new_page()
                open_studio(page, server.url, "#/text2video")
                page.fill(
                    "#t2v-prompt", "Scene: a lighthouse at dusk.\nAction: waves crash on the rocks."
                )
                settle(page)
                page.screenshot(path=str(OUT / "phone.png"))
                context.close()
        finally:
            server.stop()
        auth = Server(tmp / "auth-home").start()
        try:
            api_key(auth)
            with sync_playwright() as pw:
                context = launch(pw, tmp / "auth-profile")
                page = context.new_page()
                page.goto(f"{auth.url}/")
                page.locator("#login").wait_for()
                page.screenshot(path=str(OUT / "sign-in.png"))
                context.close()
        finally:
            auth.stop()
    for path in sorted(OUT.glob("*.png")):
        print(path.relative_to(ROOT))
    return 0


def shoot(page, url: str, media: dict[str, Path]) -> None:
    open_studio(page, url, "#/text2video")
    page.get_by_label("Multi-shot").check()
    page.fill("#t2v-prompt", "Neon noir, light rain, distant traffic.")
    page.get_by_role("button", name="Add shot").click()
    for i, (text, seconds, camera) in enumerate(
        [
            ("Wide establishing shot of a rain-slicked Tokyo street at night", "3", "static"),
            (
                "A young woman in a red coat emerges from the subway and looks around",
                "4",
                "push_in",
            ),
            ("Close-up on her face, raindrops on her cheek", "3", "static"),
        ]
    ):
        page.fill(f"#shot-{i}-action", text)
        page.fill(f"#shot-{i}-duration", seconds)
        page.select_option(f"#shot-{i}-camera", camera)
    settle(page, top=False)
    page.evaluate("document.querySelector('.shots-editor').scrollIntoView()")
    page.screenshot(path=str(OUT / "text2video-multishot.png"))
    page.get_by_label("Single prompt").check()
    page.locator("details.helper summary").click()
    for part, text in [
        ("#sp-scene", "a lighthouse on a cliff at dusk"),
        ("#sp-characters", "an old keeper in a yellow raincoat"),
        ("#sp-action", "he climbs the spiral stairs and lights the lamp"),
        ("#sp-camera", "slow push in"),
        ("#sp-audio", "wind and distant waves, painterly"),
    ]:
        page.fill(part, text)
    page.get_by_role("button", name="Write into the prompt").click()
    settle(page)
    page.screenshot(path=str(OUT / "text2video.png"))

    open_studio(page, url, "#/image2video")
    page.set_input_files("#i2v-image", str(HARBOR))
    page.fill(
        "#i2v-prompt", "Golden sunset over the harbour, red boats, white lighthouse, blue sea."
    )
    page.wait_for_selector("#page-image2video .lint li")
    settle(page)
    page.screenshot(path=str(OUT / "image2video.png"))

    open_studio(page, url, "#/omni")
    page.set_input_files("#omni-images", [str(media["ref1"]), str(media["ref2"])])
    page.wait_for_selector("#page-omni .tags button")
    page.fill("#omni-prompt", "")
    page.click("#omni-prompt")
    page.get_by_role("button", name="Insert <<<image_1>>>").click()
    page.keyboard.type("walks through ")
    page.get_by_role("button", name="Insert <<<image_2>>>").click()
    page.keyboard.type("at dawn, glancing at the stalls. Camera: tracking shot.")
    settle(page)
    page.screenshot(path=str(OUT / "omni.png"))

    open_studio(page, url, "#/motion")
    page.set_input_files("#mc-image", str(media["ref1"]))
    page.set_input_files("#mc-video", str(media["moves"]))
    page.wait_for_selector("#page-motion .length")
    page.fill("#mc-prompt", "the dancer on a rooftop at dusk")
    settle(page)
    page.screenshot(path=str(OUT / "motion.png"))

    open_studio(page, url, "#/avatar")
    page.set_input_files("#av-image", str(media["face"]))
    page.set_input_files("#av-audio", str(media["voice"]))
    page.wait_for_selector("#page-avatar .length")
    page.fill("#av-prompt", "calm professional presenter, minimal gestures")
    settle(page)
    page.screenshot(path=str(OUT / "avatar.png"))

    first = page.locator("li.task[data-status=succeed]").last
    first.locator(".thumb").click()
    page.wait_for_selector("table.plan tbody tr")
    page.wait_for_function("document.getElementById('player-video').readyState >= 2")
    page.evaluate(
        """() => new Promise((done) => {
            const v = document.getElementById('player-video');
            v.addEventListener('seeked', () => setTimeout(done, 300), { once: true });
            v.currentTime = 1.0;
        })"""
    )
    page.screenshot(path=str(OUT / "player.png"))


if __name__ == "__main__":
    raise SystemExit(main())
