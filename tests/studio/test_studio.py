"""The studio in a real browser (Debian's Chromium through Playwright) against a real
``reelforge serve --previz``: create, watch, play and download; input checks with the
server's own messages; an avatar with a generated WAV; sign-in with an API key; phone
width and keyboard use."""

from __future__ import annotations

import base64
import math

import httpx

from reelforge.request import messages

from .harness import PHONE, Server, api_key, launch, open_studio, write_image, write_wav

RENDER_MS = 120_000


def _tasks(server: Server) -> list[dict]:
    return httpx.get(f"{server.url}/v1/studio/tasks", timeout=10).json()["data"]


def _generate(page) -> str:
    """Press Generate; the task's id once the list shows it succeeded."""
    page.get_by_role("button", name="Generate").click()
    page.wait_for_function("!document.getElementById('notice').hidden")
    task_id = page.inner_text("#notice").split()[1]
    page.wait_for_function(
        f"document.querySelector(\"li.task[data-task-id='{task_id}']\")?.dataset.status === 'succeed'",
        timeout=RENDER_MS,
    )
    return task_id


def test_multi_shot_text_to_video_renders_plays_and_reuses_its_seed(studio, page):
    open_studio(page, studio.url)
    page.get_by_label("Multi-shot").check()
    editor = page.locator(".shots-editor")
    assert editor.is_visible()
    page.get_by_role("button", name="Add shot").click()
    shots = page.locator("ol.shots > li")
    assert shots.count() == 3
    actions = [
        "A lighthouse beam sweeps over the dark sea",
        "Waves crash on the rocks",
        "A gull flies past",
    ]
    for i, text in enumerate(actions):
        page.fill(f"#shot-{i}-action", text)
        page.fill(f"#shot-{i}-duration", "2")
    page.select_option("#shot-1-camera", "pan_left")
    # reorder: shot 3 up to second place, then back down
    page.get_by_role("button", name="Move shot 3 up").click()
    assert page.input_value("#shot-1-action") == actions[2]
    page.get_by_role("button", name="Move shot 2 down").click()
    assert page.input_value("#shot-2-action") == actions[2]
    page.select_option("#text2video-tier", "animatic")
    page.select_option("#text2video-mode", "std")
    page.uncheck("input[name=sound]")
    page.fill("#text2video-seed", "7")
    total = page.locator(".shot-total")
    page.wait_for_function(
        "document.querySelector('.shot-total').textContent.startsWith('Total 6 s of 15 s maximum')"
    )
    assert "3 of 6 shots" in total.inner_text()
    page.wait_for_function(
        "document.querySelector('#page-text2video .estimate').textContent.includes('credits')"
    )

    page.get_by_role("button", name="Generate").click()
    page.wait_for_function("!document.getElementById('notice').hidden")
    task_id = page.inner_text("#notice").split()[1]
    card = page.locator(f"li.task[data-task-id='{task_id}']")
    card.wait_for()
    page.wait_for_function(
        f"document.querySelector(\"li.task[data-task-id='{task_id}']\")?.dataset.status === 'succeed'",
        timeout=RENDER_MS,
    )
    assert card.locator(".pct").inner_text() == "100 %"
    assert card.locator("progress").get_attribute("value") == "100"

    # the task went through the Kling endpoint with Kling's fields
    data = httpx.get(f"{studio.url}/v1/videos/text2video/{task_id}", timeout=10).json()["data"]
    assert data["task_tier"] == "animatic" and data["task_status"] == "succeed"
    expected = float(data["task_result"]["videos"][0]["duration"])
    assert math.isclose(expected, 6.0, abs_tol=0.05)
    stored = next(t for t in _tasks(studio) if t["task_id"] == task_id)["request"]
    assert stored["multi_shot"] is True and [s["duration"] for s in stored["multi_prompt"]] == [
        "2",
        "2",
        "2",
    ]
    assert "Camera: pan left." in stored["multi_prompt"][1]["prompt"]

    # the player: poster, playback, duration, download, plan and seeds
    card.locator(".thumb").click()
    dialog = page.locator("#player")
    assert dialog.is_visible()
    video = page.locator("#player-video")
    assert "/v1/files/" in video.get_attribute("poster")
    page.evaluate(
        "document.getElementById('player-video').muted = true; document.getElementById('player-video').play()"
    )
    page.wait_for_function(
        "document.getElementById('player-video').readyState >= 2", timeout=20_000
    )
    duration = page.evaluate("document.getElementById('player-video').duration")
    assert math.isclose(duration, expected, abs_tol=0.1), (duration, expected)
    href = page.get_attribute("#player-download", "href")
    assert httpx.get(href, timeout=10).content[4:8] == b"ftyp"
    page.locator("table.plan tbody tr").first.wait_for()
    assert page.locator("table.plan tbody tr").count() == 3
    anchors = page.locator("table.plan td.anchor").all_inner_texts()
    assert anchors[0] == "—" and all(a.startswith("shot 1 key frame") for a in anchors[1:]), anchors
    assert page.inner_text(".seed-value") == "7"
    page.get_by_role("button", name="Use this seed again").click()
    assert not dialog.is_visible()
    assert page.input_value("#text2video-seed") == "7"
    assert page.locator("ol.shots > li").count() == 3
    assert page.input_value("#shot-1-camera") == "pan_left"
    assert page.input_value("#text2video-tier") == "animatic"


def test_a_finished_draft_is_rendered_again_as_a_4k_final_from_the_player(studio, page):
    def draft(**body) -> str:
        answer = httpx.post(f"{studio.url}/v1/videos/text2video", json=body, timeout=30).json()
        assert answer["code"] == 0, answer
        return answer["data"]["task_id"]

    def finished(task_id: str) -> None:
        page.wait_for_function(
            f"document.querySelector(\"li.task[data-task-id='{task_id}']\")?.dataset.status === 'succeed'",
            timeout=RENDER_MS,
        )

    cinema = draft(prompt="A lighthouse at dusk, waves roll in.", duration="3", mode="std", seed=21)
    turbo = draft(prompt="A calm sea.", duration="3", model_name="kling-v2-5-turbo", seed=2)
    open_studio(page, studio.url)
    finished(cinema)
    finished(turbo)
    dialog, button = page.locator("#player"), page.locator("#player-final")

    # turbo stops at 720p: the button is there but disabled, and says why
    page.locator(f"li.task[data-task-id='{turbo}'] .thumb").click()
    page.locator("table.plan tbody tr").first.wait_for()
    assert button.is_visible() and button.is_disabled()
    assert "The turbo tier renders 720p only" in page.inner_text("#player-final-note")
    page.locator("#player [data-action=close]").click()

    page.locator(f"li.task[data-task-id='{cinema}'] .thumb").click()
    page.locator("table.plan tbody tr").first.wait_for()
    assert page.inner_text(".seed-value") == "21" and page.inner_text("#player-final-note") == ""
    page.screenshot(path=str(_artifact("test_a_finished_draft_offers_a_4k_final")))
    page.get_by_role("button", name="Render final (4K)").click()
    page.wait_for_function("!document.getElementById('notice').hidden")
    notice = page.inner_text("#notice")
    assert "the 4K final (seed 21) is in the queue" in notice and not dialog.is_visible()
    final = notice.split()[1]
    card = page.locator(f"li.task[data-task-id='{final}']")
    card.wait_for()
    assert card.locator(".product").inner_text() == "Final 4K"
    finished(final)

    data = httpx.get(f"{studio.url}/v1/videos/final/{final}", timeout=10).json()["data"]
    assert data["task_status"] == "succeed" and data["task_tier"] == "cinema"
    assert math.isclose(float(data["task_result"]["videos"][0]["duration"]), 3.0, abs_tol=0.05)
    sidecar = httpx.get(f"{studio.url}/v1/studio/tasks/{final}/sidecar", timeout=10).json()["data"][
        "sidecar"
    ]
    assert (sidecar["plan"]["width"], sidecar["plan"]["height"]) == (3840, 2160)
    assert sidecar["seeds"]["task"] == 21 and sidecar["request"]["resolution"] == "4k"

    # the final itself plays at 4K and offers no further final
    card.locator(".thumb").click()
    page.locator("table.plan tbody tr").first.wait_for()
    assert "3840×2160" in page.inner_text("#player-details .seed")
    assert button.is_hidden()


def test_the_resolution_control_follows_the_tier(studio, page):
    """Turbo offers 720p only: choosing it leaves only 720p and the tier's default, and a
    task sent without a mode renders at that default."""
    open_studio(page, studio.url)
    mode = page.locator("#text2video-mode")
    offered = "[...document.querySelectorAll('#text2video-mode option')].filter((o) => !o.disabled).map((o) => o.value).join(',')"
    assert page.evaluate(offered) == ",std,pro,4k"  # Auto: every resolution some tier renders
    page.wait_for_function(
        "document.querySelector('#text2video-mode option').textContent === 'Tier default (1080p)'"
    )
    page.select_option("#text2video-mode", "pro")
    page.select_option("#text2video-tier", "turbo")
    assert page.evaluate(offered) == ",std" and mode.input_value() == ""  # 1080p: not turbo's
    assert page.inner_text("#text2video-mode option:first-child") == "Tier default (720p)"
    page.fill("#t2v-prompt", "A cat walks along a wall.")
    page.fill("#text2video-duration", "3")
    estimate = "#page-text2video .estimate"
    page.wait_for_function(
        f"document.querySelector('{estimate}').textContent.startsWith('9 credits')"
    )
    assert "problem" not in (page.get_attribute(estimate, "class") or "")
    assert "estimated on H100 (not measured)" in page.inner_text(estimate)  # counted, not timed

    task_id = _generate(page)
    stored = next(t for t in _tasks(studio) if t["task_id"] == task_id)["request"]
    assert "mode" not in stored and stored["model_name"] == "turbo"
    sidecar = httpx.get(f"{studio.url}/v1/studio/tasks/{task_id}/sidecar", timeout=10).json()[
        "data"
    ]["sidecar"]
    assert sidecar["request"]["resolution"] == "720p" and sidecar["plan"]["tier"] == "turbo"


def test_too_small_image_is_refused_in_the_page_with_the_servers_message(studio, page, tmp_path):
    small = write_image(tmp_path / "small.png", (200, 180))
    posts: list[str] = []
    page.on(
        "request",
        lambda r: posts.append(r.url) if r.method == "POST" and "/v1/videos/" in r.url else None,
    )
    open_studio(page, studio.url, "#/image2video")
    page.set_input_files("#i2v-image", str(small))
    error = page.locator("#i2v-image-error")
    error.wait_for()
    expected = "image: 200×180 px is below the 300×300 minimum"
    assert error.inner_text() == expected
    assert page.get_attribute("#i2v-image", "aria-invalid") == "true"
    page.fill("#i2v-prompt", "a red coat, blonde hair, in a forest at sunset")
    page.wait_for_selector("#page-image2video .lint li[data-code=i2v_describes_scene]")
    page.get_by_role("button", name="Generate").click()
    assert expected in page.inner_text("#page-image2video .form-error")
    assert posts == []  # nothing was uploaded
    # the server words it the same way
    body = {"image": base64.b64encode(small.read_bytes()).decode(), "model_name": "animatic"}
    answer = httpx.post(f"{studio.url}/v1/videos/image2video", json=body, timeout=30).json()
    assert answer["message"] == expected


def test_turbo_with_an_end_frame_shows_the_experimental_badge(studio, page, tmp_path):
    """The badge and turbo's reason (from /v1/tiers) show only while turbo renders and an end
    frame is given; the task still renders."""
    start = write_image(tmp_path / "start.png", (640, 360))
    end = write_image(tmp_path / "end.png", (640, 360))
    reason = next(
        t
        for t in httpx.get(f"{studio.url}/v1/tiers", timeout=10).json()["data"]
        if t["name"] == "turbo"
    )["experimental"]["end_frame"]
    open_studio(page, studio.url, "#/image2video")
    badge = page.locator("#page-image2video .experimental")
    page.set_input_files("#i2v-image", str(start))
    page.select_option("#image2video-tier", "turbo")
    assert badge.is_hidden()  # turbo, no end frame: as Wan's authors run it
    page.set_input_files("#i2v-tail", str(end))
    badge.wait_for(state="visible")
    assert badge.locator(".badge").inner_text().lower() == "experimental"
    assert badge.inner_text().endswith(f"End frame on turbo: {reason}")
    page.select_option("#image2video-tier", "budget")
    badge.wait_for(state="hidden")  # LTX keyframes: supported
    page.select_option("#image2video-tier", "")  # Auto: the guide's tier (cinema) decides
    page.wait_for_function(
        "document.querySelector('#page-image2video .guide .recommend b')?.textContent === 'cinema'"
    )
    assert badge.is_hidden()
    page.select_option("#image2video-tier", "turbo")
    badge.wait_for(state="visible")
    page.set_input_files("#i2v-tail", [])  # the end frame removed
    badge.wait_for(state="hidden")
    page.set_input_files("#i2v-tail", str(end))
    badge.wait_for(state="visible")

    page.fill("#i2v-prompt", "She turns to the window.")
    page.fill("#image2video-duration", "3")
    _generate(page)  # experimental, and still rendered


def test_avatar_with_a_generated_wav(studio, page, tmp_path):
    face = write_image(tmp_path / "face.png", (512, 512))
    voice = write_wav(tmp_path / "voice.wav", seconds=3.0)
    too_long = write_wav(tmp_path / "long.wav", seconds=301.0, rate=4000)
    open_studio(page, studio.url, "#/avatar")
    page.set_input_files("#av-audio", str(too_long))
    page.wait_for_selector("#av-audio-error:not(:empty)")
    assert page.inner_text("#av-audio-error") == "sound_file: 301 s is more than the 300 s maximum"
    page.set_input_files("#av-image", str(face))
    page.set_input_files("#av-audio", str(voice))
    length = page.locator("#page-avatar .length")
    length.wait_for()
    assert length.inner_text() == "Length 0:03.0 of 5:00 max"
    assert page.inner_text("#av-audio-error") == ""
    page.select_option("#avatar-mode", "std")
    page.wait_for_function(
        "document.querySelector('#page-avatar .guide').textContent.includes('avatar')"
    )
    page.get_by_role("button", name="Generate").click()
    page.wait_for_function("!document.getElementById('notice').hidden")
    assert page.evaluate("document.getElementById('avatar-upload').value") == 100
    task_id = page.inner_text("#notice").split()[1]
    page.wait_for_function(
        f"document.querySelector(\"li.task[data-task-id='{task_id}']\")?.dataset.status === 'succeed'",
        timeout=RENDER_MS,
    )
    data = httpx.get(f"{studio.url}/v1/videos/avatar/image2video/{task_id}", timeout=10).json()[
        "data"
    ]
    assert data["task_tier"] == "avatar"
    assert math.isclose(float(data["task_result"]["videos"][0]["duration"]), 3.0, abs_tol=0.05)


def test_page_messages_read_like_the_servers(studio, page):
    open_studio(page, studio.url)
    cases = [(15.000001, 15.0), (312.5, 300.0), (1.5, 2.0), (1234567.891, None), (300.0, 301.0)]
    got = page.evaluate(
        """async (cases) => {
            const f = await import('/studio/js/format.js');
            return cases.map(([v, o]) => [f.num(v, o), f.seconds(v, o)]);
        }""",
        cases,
    )
    assert got == [[messages.num(v, o), messages.seconds(v, o)] for v, o in cases]
    ratios = [(3.1, 2.5), (1 / 2.6, 1 / 2.5), (2.5000001, 2.5)]
    got = page.evaluate(
        """async (cases) => {
            const f = await import('/studio/js/format.js');
            return cases.map(([v, b]) => f.ratio(v, b));
        }""",
        ratios,
    )
    assert got == [messages.ratio(v, b) for v, b in ratios]


def test_sign_in_asks_for_the_key_once(playwright, tmp_path):
    server = Server(tmp_path / "home").start()
    try:
        key = api_key(server)
        context = launch(playwright, tmp_path / "profile")
        try:
            page = context.new_page()
            page.goto(f"{server.url}/")
            login = page.locator("#login")
            login.wait_for()
            assert page.evaluate("document.activeElement.id") == "login-key"
            page.fill("#login-key", "rfk_wrong")
            page.keyboard.press("Enter")
            page.wait_for_selector("#login-error:not(:empty)")
            assert "API key" in page.inner_text("#login-error")
            page.fill("#login-key", key)
            page.keyboard.press("Enter")
            page.wait_for_function("document.body.dataset.ready === 'true'")
            assert not login.is_visible()
            assert page.inner_text("#account").startswith("studio")
            page.reload()
            page.wait_for_function("document.body.dataset.ready === 'true'")
            assert not login.is_visible()  # kept in the browser
            page.screenshot(path=str(_artifact("test_sign_in_asks_for_the_key_once")))
        finally:
            context.close()
    finally:
        server.stop()


def test_phone_width_and_keyboard(studio, playwright, tmp_path):
    context = launch(playwright, tmp_path / "profile", PHONE)
    try:
        page = context.new_page()
        open_studio(page, studio.url)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{overflow} px of horizontal scrolling at phone width"
        unlabelled = page.evaluate(
            """[...document.querySelectorAll('input, select, textarea')]
                .filter((n) => n.type !== 'hidden' && !n.labels?.length && !n.getAttribute('aria-label'))
                .map((n) => n.id || n.name)"""
        )
        assert unlabelled == []
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip"
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        seen = []
        for _ in range(12):
            seen.append(page.evaluate("document.activeElement.id || document.activeElement.name"))
            outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
            assert outline != "none", f"no visible focus on {seen[-1]}"
            page.keyboard.press("Tab")
        assert "shot_mode" in seen and "t2v-prompt" in seen
        assert seen.index("shot_mode") < seen.index("t2v-prompt")
        page.locator(".nav a[data-page=avatar]").focus()
        page.keyboard.press("Enter")
        page.wait_for_function("document.body.dataset.page === 'avatar'")
        page.screenshot(path=str(_artifact("test_phone_width_and_keyboard")), full_page=True)
    finally:
        context.close()


def _artifact(name: str):
    from .harness import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{name}.png"
