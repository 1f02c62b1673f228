"""Opens reports/explorer.html in headless Chromium (Debian's, software WebGL) and prints the
page's own timings: the explorer's self-test (`#selftest&...&bench=N`, see
crates/timbral-report/src/explorer/explorer.js) times its event handlers until the frame is
finished on the GPU. Driven by Playwright rather than `chromium --dump-dom`, because the
virtual time that --dump-dom needs stops the page's clock inside a task.

    python bench/explorer_browser.py PAGE TITLE SEARCH [SEARCH ...]   (TITLE: hovered, then clicked)
"""
import json
import sys
import time
import urllib.parse

from playwright.sync_api import sync_playwright

ARGS = [
    "--no-sandbox",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def main(page_path, hover, searches):
    fragment = "selftest&" + urllib.parse.urlencode(
        {"hover": hover, "search": "|".join(searches), "click": hover, "bench": "50"}, quote_via=urllib.parse.quote
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        console = []
        page.on("console", lambda message: console.append(message.text))
        started = time.time()
        page.goto(f"file://{page_path}#{fragment}")
        page.wait_for_selector("#selftest[data-done]", state="attached", timeout=300_000)
        wall = time.time() - started
        result = json.loads(page.eval_on_selector("#selftest", "e => e.textContent"))
        browser.close()
    if result.get("errors"):
        sys.exit(f"the page raised errors: {result['errors']}")
    s = lambda ms: f"{ms / 1000:.2f} s"
    print(f"songs drawn: {result['drawn']:,} of {result['songs']:,}")
    print(
        f"page ready (first draw): {s(result['readyMs'])} "
        f"(HTML parsed {s(result['scriptStartMs'])}, data decoded {s(result['decodedMs'])}, "
        f"indexed {s(result['indexedMs'])}); self-test done {wall:.1f} s after navigation"
    )
    print(f"full redraw (pan or zoom): {result['drawMs']:.0f} ms")
    print(f"hover: median {result['hoverMedianMs']:.1f} ms, max {result['hoverMaxMs']:.1f} ms over 50 songs at full view; zoomed in {result['hoverMs']:.1f} ms ({result['tooltip']})")
    for search in result["searches"]:
        print(f"search {search['query']!r}: {search['count']:,} songs in {search['ms']:.0f} ms")
    print(f"click (recommendations listed): {result['clickMs']:.1f} ms")
    if console:
        print("console:", *console[:5], sep="\n  ")


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
