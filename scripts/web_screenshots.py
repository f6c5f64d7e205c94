"""Screenshots of the browser drill (handcalc serve) for a person to look at: English and
Chinese, at a laptop's width and a phone's, in the middle of a session (a wrong try with
its diagnosis, a skipped part with its worked solution).

    python scripts/web_screenshots.py OUT_DIR [CODE]

Needs the system's Chromium and chromedriver (apt-get install chromium chromium-driver)
and selenium (in handcalc's test extra); never downloads a browser.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from handcalc.web.server import start
from handcalc.web.session import Sessions
from handcalc.web.sources import exercise_source

SIZES = {"laptop": (1280, 900), "phone": (390, 844)}


def driver(size: tuple[int, int]) -> webdriver.Chrome:
    os.environ["SE_OFFLINE"] = "true"
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                f"--window-size={size[0]},{size[1]}"):
        options.add_argument(arg)
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver"))
    d = webdriver.Chrome(options=options, service=service)
    d.set_page_load_timeout(20)
    return d


def shoot(out: Path, code: str, lang: str, size_name: str) -> Path:
    running = start(Sessions(exercise_source((), 1, 1, None, (code,), None), lang))
    running.in_thread()
    d = driver(SIZES[size_name])
    try:
        wait = WebDriverWait(d, 20)
        d.get(running.url)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".part.current input"))
        d.switch_to.active_element.send_keys("1", Keys.ENTER)  # a wrong first entry
        d.find_element(By.CSS_SELECTOR, ".part.current button.skip").send_keys(Keys.ENTER)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#part-1 .solution"))
        inputs = d.find_elements(By.CSS_SELECTOR, ".part.current input")
        if inputs:
            for box in inputs:  # a wrong answer: its verdict per box
                box.send_keys("0.5")
            d.find_element(By.CSS_SELECTOR, ".part.current button.check").send_keys(Keys.ENTER)
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".part.current .verdict, "
                                                 ".part.current .error"))
        d.execute_async_script("document.fonts.ready.then(arguments[0])")
        time.sleep(0.5)
        height = d.execute_script("return document.documentElement.scrollHeight")
        d.set_window_size(SIZES[size_name][0], min(height + 120, 4000))
        d.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
        path = out / f"drill-{lang}-{size_name}.png"
        d.save_screenshot(str(path))
        return path
    finally:
        d.quit()
        running.close()


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "screenshots")
    code = argv[1] if len(argv) > 1 else "gqa-1-5"
    out.mkdir(parents=True, exist_ok=True)
    for lang in ("en", "zh"):
        for size_name in SIZES:
            print(shoot(out, code, lang, size_name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
