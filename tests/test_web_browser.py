"""handcalc serve in a real browser: Debian's Chromium, headless, driven by selenium through
Debian's chromedriver (never a downloaded browser or driver), on the real server.

A learner's sessions are played with the keyboard only: right, wrong with a diagnosis,
carried forward, full-width input from a Chinese input method, a pasted matrix, skipped,
to the summary; in English and Chinese. Skipped when Chromium or its driver is missing
(`apt-get install chromium chromium-driver`, as .ci/run does). Every wait is bounded.
"""

import os
import re
import shutil

import pytest

from handcalc.core.exact import entries
from handcalc.core.rounding import fmt2
from handcalc.exercises.exercise import build
from handcalc.web.server import start
from handcalc.web.session import Sessions
from handcalc.web.sources import exercise_source

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
webdriver = pytest.importorskip("selenium.webdriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                reason="no Chromium and chromedriver (apt-get install "
                                       "chromium chromium-driver)")

from selenium.common.exceptions import (  # noqa: E402
    StaleElementReferenceException,
    TimeoutException,
)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

WAIT = 20  # seconds, for anything the page does
LAPTOP, PHONE = (1280, 900), (390, 844)


def make_driver(size=LAPTOP):
    """Headless Chromium through chromedriver, both the system's: with both paths given,
    selenium never runs selenium-manager (SE_OFFLINE forbids it any download anyway)."""
    os.environ["SE_OFFLINE"] = "true"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-extensions", "--no-first-run", f"--window-size={size[0]},{size[1]}"):
        options.add_argument(arg)
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(WAIT)
    driver.set_script_timeout(WAIT)
    return driver


@pytest.fixture(scope="module")
def driver():
    d = make_driver()
    yield d
    d.quit()


def serve(*codes, lang="en", families=()):
    running = start(Sessions(exercise_source(families, 1, 1, None, codes, 4821), lang))
    running.in_thread()
    return running


@pytest.fixture
def page(driver):
    """open(codes, lang) -> the driver on a fresh page of a server drilling `codes`."""
    servers = []

    def open_page(*codes, lang="en", families=()):
        running = serve(*codes, lang=lang, families=families)
        servers.append(running)
        driver.get(running.url)
        driver.execute_script("localStorage.clear(); sessionStorage.clear();")
        driver.get(running.url)
        until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".part.current input"))
        return driver

    yield open_page
    for running in servers:
        running.close()


def until(driver, condition, timeout=WAIT):
    try:
        return WebDriverWait(driver, timeout, ignored_exceptions=(
            StaleElementReferenceException,)).until(condition)
    except TimeoutException:
        pytest.fail(f"the page did not get there in {timeout} s: "
                    f"{driver.find_element(By.TAG_NAME, 'main').text[:800]}")


def current(driver, number):
    """Wait until part `number` is the one asked, with its first box focused."""
    until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, f"#part-{number}.current input"))
    until(driver, lambda d: d.execute_script(
        f"return document.activeElement.closest('#part-{number}') !== null"))


def type_keys(driver, *keys):
    """Keys to whatever has the focus, as a learner types them."""
    driver.switch_to.active_element.send_keys(*keys)


def type_answer(driver, values):
    """Type values box after box (Tab between), then Enter in the last box checks."""
    keys = []
    for v in values:
        keys += [Keys.CONTROL, "a", Keys.NULL, v, Keys.TAB]
    type_keys(driver, *keys[:-1], Keys.ENTER)


def part_text(driver, number):
    """What part `number` shows, read at once (the page re-renders the parts)."""
    return driver.execute_script(
        f"const e = document.getElementById('part-{number}'); return e ? e.innerText : ''")


def rounded(code, number):
    return [fmt2(x) for x in entries(build(code).parts[number - 1].answer)]


def test_english_session_keyboard_only(page):
    d = page("worked-4")
    current(d, 1)
    assert d.find_elements(By.CSS_SELECTOR, "#exercise math mtable")  # typeset, as a table
    type_answer(d, ["1", "3"])  # forgot the scaling
    until(d, lambda d: "forgot to divide" in part_text(d, 1))
    boxes = d.find_elements(By.CSS_SELECTOR, "#part-1 input")
    assert [b.get_attribute("class") for b in boxes] == ["wrong", "wrong"]
    assert "try 2 of 3" in part_text(d, 1)
    assert "0.71" not in d.find_element(By.TAG_NAME, "main").text  # no key yet

    # a Chinese input method's digits and comma: "，" moves on to the next box
    type_keys(d, Keys.CONTROL, "a", Keys.NULL, "０.７１，",
              Keys.CONTROL, "a", Keys.NULL, "２．１２", Keys.ENTER)
    current(d, 2)
    assert "correct" in part_text(d, 1)

    type_keys(d, Keys.TAB, Keys.TAB, Keys.TAB, Keys.ENTER)  # past both boxes and Check: Skip
    until(d, lambda d: "Worked solution of part 2" in part_text(d, 2))
    assert "0.80" in part_text(d, 2) and "1 of 2 parts right" in d.find_element(
        By.ID, "end").text
    until(d, lambda d: d.switch_to.active_element.get_attribute("id") == "next")
    type_keys(d, Keys.ENTER)  # the last exercise: its button is the summary's
    until(d, lambda d: d.find_element(By.ID, "summary").is_displayed())
    summary = d.find_element(By.ID, "summary").text
    assert "Summary" in summary and "right after retries: 1" in summary
    assert "missed: 1" in summary and "1 of 2" in summary


def test_carried_forward_and_a_pasted_matrix(page):
    d = page("worked-4", "worked-5")
    current(d, 1)
    for i in range(3):
        before = part_text(d, 1)
        type_answer(d, ["1", "3"])
        # each try re-renders the part: wait for this one's, and for the boxes again
        until(d, lambda d, before=before: part_text(d, 1) != before
              and "forgot to divide" in part_text(d, 1))
        if i < 2:
            current(d, 1)
    current(d, 2)
    assert "Worked solution of part 1" in part_text(d, 1)
    type_answer(d, ["0.12", "0.88"])  # softmax of the learner's own (1, 3)
    until(d, lambda d: "earlier answers" in part_text(d, 2))
    d.find_element(By.ID, "next").send_keys(Keys.ENTER)

    current(d, 1)
    code = "worked-5"
    ex = build(code)
    rows, cols = len(ex.parts[0].answer), len(ex.parts[0].answer[0])
    values = rounded(code, 1)
    grid = "\n".join("\t".join(values[i * cols:(i + 1) * cols]) for i in range(rows))
    d.execute_script("""
        const dt = new DataTransfer(); dt.setData('text/plain', arguments[0]);
        document.activeElement.dispatchEvent(new ClipboardEvent('paste',
            {clipboardData: dt, bubbles: true, cancelable: true}));""", grid)
    boxes = d.find_elements(By.CSS_SELECTOR, "#part-1 input")
    assert [b.get_attribute("value") for b in boxes] == values
    type_keys(d, Keys.ENTER)
    until(d, lambda d: "correct" in part_text(d, 1))


def test_chinese_session_gqa_to_the_summary(page):
    """`handcalc serve gqa --lang zh`, one exercise: worked through to the summary."""
    d = page(families=("gqa",), lang="zh")
    until(d, lambda d: "提交" in d.find_element(By.ID, "parts").text)
    code = re.search(r"代码 (gqa-1-[0-9]+)", d.find_element(By.ID, "exercise").text).group(1)
    assert "handcalc：手算注意力" in d.find_element(By.TAG_NAME, "h1").text
    assert "分组查询注意力" in d.find_element(By.ID, "exercise").text
    for number in range(1, len(build(code).parts) + 1):
        current(d, number)
        # Check with empty boxes: said in Chinese, no try used
        d.find_element(By.CSS_SELECTOR, f"#part-{number} button.check").send_keys(Keys.ENTER)
        until(d, lambda d, n=number: "为空" in part_text(d, n))
        assert "第 1 次（共 3 次）" in part_text(d, number)
        type_answer(d, rounded(code, number))
        until(d, lambda d, n=number: "正确" in part_text(d, n))
    until(d, lambda d: d.switch_to.active_element.get_attribute("id") == "next")
    type_keys(d, Keys.ENTER)
    until(d, lambda d: d.find_element(By.ID, "summary").is_displayed())
    summary = d.find_element(By.ID, "summary").text
    n = len(build(code).parts)
    assert "小结" in summary and f"一次答对： {n}" in summary.replace("：\n", "： ")
    assert f"{n} 个小题答对 {n} 个" in summary


def test_language_switch_keeps_the_typed_answer(page):
    d = page("worked-4")
    current(d, 1)
    type_keys(d, "0.5")
    d.find_element(By.ID, "switch").send_keys(Keys.ENTER)
    until(d, lambda d: "提交" in d.find_element(By.ID, "parts").text)
    assert "只关注部分键" in d.find_element(By.ID, "exercise").text
    assert d.find_element(By.CSS_SELECTOR, "#part-1 input").get_attribute("value") == "0.5"
    d.find_element(By.ID, "switch").send_keys(Keys.ENTER)
    until(d, lambda d: "Check" in d.find_element(By.ID, "parts").text)


def test_typed_markup_stays_text(page):
    d = page("worked-4")
    current(d, 1)
    type_answer(d, ["<img src=x onerror=document.title='pwned'>", "1"])
    until(d, lambda d: d.find_elements(By.CSS_SELECTOR, "#part-1 .error"))
    assert "box 1" in d.find_element(By.CSS_SELECTOR, "#part-1 .error").text
    assert not d.find_elements(By.CSS_SELECTOR, "main img") and d.title != "pwned"
