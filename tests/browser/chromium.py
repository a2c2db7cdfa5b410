"""Find or provide the Chromium the browser tests drive; print its path.

`make test` runs this first. In order: `CHROMIUM` if set; Debian's `/usr/bin/chromium`;
Playwright's own build (`playwright install chromium`, where its download is reachable);
Debian's package, installed with apt when running as root. Exits 1 with one message
saying what to do when none works.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

DEBIAN = Path("/usr/bin/chromium")


def _say(message: str) -> None:
    print(f"[chromium] {message}", file=sys.stderr, flush=True)


def _playwright_build() -> Path | None:
    from playwright.sync_api import Error, sync_playwright

    try:
        with sync_playwright() as p:
            path = Path(p.chromium.executable_path)
    except (Error, OSError) as exc:  # a broken driver: the other ways may still work
        _say(f"Playwright cannot say where its Chromium is ({exc}).")
        return None
    return path if path.exists() else None


def _quiet(cmd: list[str], timeout: int, **env: str) -> bool:
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=timeout, env={**os.environ, **env})
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _install_with_playwright() -> Path | None:
    _say("no Chromium found; trying `playwright install chromium`…")
    if _quiet([sys.executable, "-m", "playwright", "install", "chromium"], timeout=600):
        return _playwright_build()
    return None


def _install_with_apt() -> Path | None:
    if os.name != "posix" or os.geteuid() != 0 or not shutil.which("apt-get"):
        return None
    _say("trying Debian's package (apt-get install chromium; a few minutes)…")
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        if not _quiet(cmd, timeout=900, DEBIAN_FRONTEND="noninteractive"):
            return None
    return DEBIAN if DEBIAN.exists() else None


def find_chromium() -> Path | None:
    """A Chromium already on this machine, without installing anything."""
    if os.environ.get("CHROMIUM"):
        path = Path(os.environ["CHROMIUM"])
        return path if path.exists() else None
    if DEBIAN.exists():
        return DEBIAN
    return _playwright_build()


def main() -> int:
    if os.environ.get("CHROMIUM") and find_chromium() is None:
        _say(f"CHROMIUM={os.environ['CHROMIUM']} does not exist.")
        return 1
    path = find_chromium() or _install_with_playwright() or _install_with_apt()
    if path is None:
        _say(
            "no Chromium for the browser tests, and neither `playwright install chromium` nor"
            " apt could provide one. Install Chromium and set CHROMIUM=/path/to/chromium."
        )
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
