"""PNG screenshots of rendered pages with headless Chromium (Debian: `apt-get install chromium`)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

WIDTH = 1000
TIMEOUT_S = 90
_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_MEASURE = ("<script>document.body.setAttribute('data-height',"
            " String(Math.ceil(document.documentElement.getBoundingClientRect().height)));</script>")


class ScreenshotError(RuntimeError):
    """Chromium is missing or did not produce what was asked."""


def find_chromium() -> str:
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise ScreenshotError("no Chromium found on PATH; install it (Debian: apt-get install -y chromium) "
                          "or put chromium/google-chrome on PATH")


def _run(browser: str, args: list[str], height: int) -> str:
    with tempfile.TemporaryDirectory(prefix="slack-render-") as profile:
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--hide-scrollbars", f"--user-data-dir={profile}", f"--window-size={WIDTH},{height}", *args]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ScreenshotError(f"Chromium did not finish within {TIMEOUT_S}s: {' '.join(cmd)}") from exc
    if done.returncode != 0:
        raise ScreenshotError(f"Chromium exited with {done.returncode}: {done.stderr.strip()[-800:]}")
    return done.stdout


def page_height(html_path: Path, browser: str) -> int:
    """The page's full height at the screenshot width (a scripted copy, measured with --dump-dom)."""
    page = html_path.read_text(encoding="utf-8")
    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page, count=1)
    page = page.replace("</body>", _MEASURE + "</body>", 1)
    with tempfile.TemporaryDirectory(prefix="slack-measure-") as tmp:
        probe = Path(tmp) / "measure.html"
        probe.write_text(page, encoding="utf-8")
        dom = _run(browser, ["--dump-dom", probe.resolve().as_uri()], 800)
    found = re.search(r'data-height="(\d+)"', dom)
    if found is None:
        raise ScreenshotError(f"could not measure {html_path}: Chromium's DOM had no height")
    return int(found.group(1))


def screenshot(html_path: Path, png_path: Path, *, browser: str | None = None) -> Path:
    """Write png_path: the whole page, WIDTH pixels wide and as tall as its content."""
    chromium = browser or find_chromium()
    height = max(page_height(html_path, chromium), 200)
    png_path.parent.mkdir(parents=True, exist_ok=True)
    png_path.unlink(missing_ok=True)
    _run(chromium, [f"--screenshot={png_path.resolve()}", html_path.resolve().as_uri()], height)
    if not png_path.exists():
        raise ScreenshotError(f"Chromium reported success but wrote no {png_path}")
    return png_path
