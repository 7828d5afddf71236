"""A client written the way Kling's own docs show it: httpx + PyJWT, nothing from reelforge.

Run as ``python kling_plain.py BASE_URL ACCESS_KEY SECRET_KEY IMAGE OUT_DIR``: submits a
text2video and an image2video task (image as raw base64), polls both until they end,
downloads the videos and prints one JSON line per task. Exit status 0 when both succeed.
"""

import base64
import json
import sys
import time

import httpx
import jwt


def encode_jwt_token(ak, sk):
    headers = {"alg": "HS256", "typ": "JWT"}
    payload = {
        "iss": ak,
        "exp": int(time.time()) + 1800,  # valid for 30 minutes
        "nbf": int(time.time()) - 5,  # valid from 5 seconds ago
    }
    return jwt.encode(payload, sk, headers=headers)


def main(base, ak, sk, image_path, out_dir):
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {encode_jwt_token(ak, sk)}",
    }
    with open(image_path, "rb") as f:
        image_b64 = base64.b64encode(f.read()).decode()
    jobs = {
        "text2video": {
            "model_name": "kling-v3",
            "prompt": "A windmill turns on a green hill.",
            "mode": "std",
            "duration": "3",
            "aspect_ratio": "16:9",
            "cfg_scale": 0.5,
        },
        "image2video": {
            "model_name": "kling-v3",
            "image": image_b64,
            "prompt": "Clouds drift by.",
            "mode": "std",
            "duration": "3",
        },
    }
    ids = {}
    with httpx.Client(timeout=60) as http:
        for product, body in jobs.items():
            r = http.post(f"{base}/v1/videos/{product}", headers=headers, json=body)
            reply = r.json()
            if reply["code"] != 0:
                print(json.dumps({"product": product, "error": reply}))
                return 1
            ids[product] = reply["data"]["task_id"]
        ok = True
        deadline = time.time() + 240
        for product, task_id in ids.items():
            while True:
                reply = http.get(f"{base}/v1/videos/{product}/{task_id}", headers=headers).json()
                data = reply["data"]
                if data["task_status"] in ("succeed", "failed") or time.time() > deadline:
                    break
                time.sleep(0.5)
            line = {
                "product": product,
                "task_id": task_id,
                "task_status": data["task_status"],
                "task_status_msg": data.get("task_status_msg", ""),
            }
            if data["task_status"] == "succeed":
                video = data["task_result"]["videos"][0]
                path = f"{out_dir}/{task_id}.mp4"
                with open(path, "wb") as f:
                    f.write(http.get(video["url"]).content)  # result URLs need no header
                line.update(path=path, duration=video["duration"], video_id=video["id"])
            else:
                ok = False
            print(json.dumps(line))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:6]))
