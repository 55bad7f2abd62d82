"""Open a Snakemake report in a real headless Chromium (Debian's `chromium`) over the DevTools
protocol: screenshots of the index and of one figure page, and the images that did not load."""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import websockets

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1400,1000",
    "--remote-debugging-port=0",
)

# Every <img> of the page that did not decode (a broken image has naturalWidth 0).
BROKEN_IMAGES = (
    "JSON.stringify(Array.from(document.images)"
    ".filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 120)))"
)
IMAGES = (
    "JSON.stringify(Array.from(document.images).map(i => [i.src.slice(0, 40), i.naturalWidth]))"
)


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Page:
    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.next_id = 0

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        await self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            reply = json.loads(await self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    async def evaluate(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while not await self.evaluate(expression):
            if time.monotonic() > deadline:
                raise TimeoutError(f"page never satisfied: {expression}")
            await asyncio.sleep(0.25)

    async def screenshot(self, path: Path) -> None:
        shot = await self.call("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(shot["data"]))


async def _inspect(ws_url: str, report: Path, out: Path) -> dict[str, Any]:
    async with websockets.connect(ws_url, max_size=None) as ws:
        page = Page(ws)
        await page.call("Page.enable")
        await page.call("Page.navigate", url=report.resolve().as_uri())
        await page.wait_for("document.readyState === 'complete' && typeof app !== 'undefined'")
        await asyncio.sleep(1)  # let React render the first view
        await page.screenshot(out / "index.png")
        found: dict[str, Any] = {
            "index_broken": json.loads(await page.evaluate(BROKEN_IMAGES)),
            "categories": await page.evaluate("Object.keys(categories)"),
            "results": await page.evaluate("Object.keys(results)"),
        }
        figure = sorted(p for p in found["results"] if p.endswith(".png"))[0]
        found["figure"] = figure
        key = json.dumps(figure)
        await page.evaluate(
            "app.setView({navbarMode: 'resultinfo', content: 'img', "
            f"resultPath: {key}, contentPath: results[{key}].data_uri}})"
        )
        await page.wait_for("document.querySelector(\"img[src^='data:image/png']\") !== null")
        await page.wait_for("Array.from(document.images).every(i => i.complete)")
        await page.screenshot(out / "figure.png")
        found["figure_broken"] = json.loads(await page.evaluate(BROKEN_IMAGES))
        found["figure_images"] = json.loads(await page.evaluate(IMAGES))
        return found


def inspect_report(report: Path, out: Path, timeout_s: float = 120) -> dict[str, Any]:
    """Screenshots `out/index.png` and `out/figure.png` of `report`; what the page showed."""
    binary = chromium()
    if binary is None:
        raise FileNotFoundError("chromium not installed (apt-get install chromium)")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        proc = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            deadline = time.monotonic() + 60
            while not port_file.is_file() or not port_file.read_text().strip():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"chromium did not start: {proc.stderr.read()[-2000:]!r}")
                time.sleep(0.2)
            port = port_file.read_text().split()[0]
            # loopback only, whatever proxy the environment names
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            with opener.open(f"http://127.0.0.1:{port}/json/list", timeout=30) as fh:
                targets = json.load(fh)
            ws_url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
            return asyncio.run(asyncio.wait_for(_inspect(ws_url, report, out), timeout_s))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
