"""Screenshots of pages as a phone shows them (360 × 740), in normal and large-text mode.

    python scripts/screens.py http://127.0.0.1:5000 /members/12 /desk/ --login canglang.gh --out /tmp/shots
    python scripts/screens.py http://127.0.0.1:5000 /market/providers/2 --width 320 --out /tmp/narrow

Signs in (password linli2026 unless --password), opens each path, and saves
<out>/<n>-normal.png and <out>/<n>-elder.png (full page), and each one's first screen. Run it against `make run`
(or `flask run` on another port) after changing a page, then look at the pictures:
would an 80-year-old know what to do next? Uses Debian's Chromium, never
`playwright install`.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _slug(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-") or "home"


def _open_menu(page) -> None:
    """Open the header's menu (signed in, the settings are inside it)."""
    menu = page.locator("details.site-menu")
    if menu.count() and not menu.evaluate("m => m.open"):
        menu.locator("summary").click()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--login")
    parser.add_argument("--password", default="linli2026")
    parser.add_argument("--out", default="/tmp/screens")
    parser.add_argument("--locale", default="zh_CN")
    parser.add_argument("--width", type=int, default=360, help="the screen's width in px")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        for mode in ("normal", "elder"):
            context = browser.new_context(
                base_url=args.base,
                viewport={"width": args.width, "height": 740},
                device_scale_factor=1,
            )
            page = context.new_page()
            page.goto("/login")
            if args.locale != "zh_CN":
                page.locator(f"button[name='locale'][value='{args.locale}']").click()
                page.wait_for_load_state()
            if args.login:
                page.locator("input[name='login']").fill(args.login)
                page.locator("input[name='password']").fill(args.password)
                page.locator("form.form button[type='submit']").click()
                page.wait_for_load_state()
            # large text is the member's setting: switch it only if it is not as wanted
            if page.evaluate("document.body.classList.contains('elder-mode')") != (mode == "elder"):
                _open_menu(page)
                page.locator("form[action$='/elder-mode'] button").click()
                page.wait_for_load_state()
            for number, path in enumerate(args.paths, start=1):
                page.goto(path)
                shot = out / f"{number:02d}-{_slug(path)}-{mode}.png"
                page.screenshot(path=str(shot), full_page=True)
                first = out / f"{number:02d}-{_slug(path)}-{mode}-first-screen.png"
                page.screenshot(path=str(first))
                print(shot, first)
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
