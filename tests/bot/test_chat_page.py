"""The chat page in a real browser: Debian's headless Chromium, driven by Selenium through /usr/bin/chromedriver.

A person on a phone-sized screen opens /chat, types a complaint in their own words, answers the questions
(by typing, by clicking a suggested answer, and by keyboard alone), and gets a reference for a case
that exists in the store. The page talks to the Rasa server directly, across origins, as in `make run`.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from bot_support import FEEDBACK, REFERENCE, Stack
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from classifiers.paths import BuildPaths
from store.labels import HEADS
from store.models import Case, Suggestion

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PHONE = (390, 844)
COMPLAINT = "My son's taxi to school didn't turn up three times this month and nobody from transport rang us back"


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        message = "Debian's chromium and chromium-driver are not installed (make test installs them)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={PHONE[0]},{PHONE[1]}"):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def _bot_texts(driver: WebDriver) -> list[str]:
    return [item.text for item in driver.find_elements(By.CSS_SELECTOR, "#log li.bot, #log li.problem")]


def _wait_for_reply(driver: WebDriver, before: int) -> str:
    WebDriverWait(driver, 60).until(
        lambda d: len(_bot_texts(d)) > before and d.find_element(By.ID, "send").is_enabled()
    )
    return "\n".join(_bot_texts(driver)[before:])


def _type(driver: WebDriver, text: str) -> str:
    before = len(_bot_texts(driver))
    box = driver.find_element(By.ID, "message")
    box.send_keys(text)
    box.send_keys(Keys.ENTER)  # Enter sends; Shift+Enter would add a line
    return _wait_for_reply(driver, before)


def _choose(driver: WebDriver, title: str, *, keyboard: bool = False) -> str:
    before = len(_bot_texts(driver))
    buttons = driver.find_elements(By.CSS_SELECTOR, "#log .choices button")
    button = next(b for b in reversed(buttons) if b.text == title)
    if keyboard:
        driver.execute_script("arguments[0].focus()", button)
        driver.switch_to.active_element.send_keys(Keys.ENTER)
    else:
        button.click()
    return _wait_for_reply(driver, before)


def test_a_person_complains_in_their_own_words_on_a_phone_and_gets_a_reference(
    browser: WebDriver, bot_stack: Stack, tmp_path: Path, tiny_build: BuildPaths
) -> None:
    try:
        browser.get(bot_stack.chat_url)
    except WebDriverException as error:
        pytest.fail(f"the chat page did not load: {error}")
    WebDriverWait(browser, 60).until(lambda d: any("feedback assistant" in text for text in _bot_texts(d)))
    # Accessible: a labelled message box, a live log for screen readers, and no sideways scrolling on a phone.
    assert browser.find_element(By.CSS_SELECTOR, "label[for=message]").text == "Your message"
    log = browser.find_element(By.ID, "log")
    assert (log.get_attribute("role"), log.get_attribute("aria-live")) == ("log", "polite")
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")

    assert "Who are you" in _type(browser, COMPLAINT)
    assert "on behalf of a child" in _choose(browser, "A parent or carer")
    assert "know about this" in _choose(browser, "Yes", keyboard=True)
    assert "Which service" in _choose(browser, "Yes, they know and agree")
    assert "like a reply" in _type(browser, "home to school transport")
    assert "name" in _choose(browser, "Yes, reply to me")
    assert "email" in _type(browser, "Pat Jones")
    assert "doesn't look like an email" in _type(browser, "pat.jones@")
    assert "phone" in _type(browser, "pat.jones@example.org")
    summary = _type(browser, "skip")
    assert COMPLAINT in summary and "pat.jones@example.org" in summary
    done = _choose(browser, "Yes, send it")
    browser.save_screenshot(str(tmp_path / "chat-done.png"))

    found = REFERENCE.search(done)
    assert found, done
    case = bot_stack.case(found.group(0)).case
    assert case.channel == "web_chat" and case.service == "school_transport"
    assert case.contact is not None and case.contact.email == "pat.jones@example.org"
    assert bot_stack.case(found.group(0)).messages == [COMPLAINT]
    # The classification worker (here `feedback classify --once`, with the session's tiny models) stores the
    # three suggestions with the case; the person was answered before any model ran.
    classify_env = {**bot_stack.api.env, "FEEDBACK_CLASSIFIERS__MODELS_DIR": str(tiny_build.models)}
    subprocess.run([*FEEDBACK, "classify", "--once"], env=classify_env, check=True, capture_output=True)
    with bot_stack.sessions() as session:
        query = select(Suggestion.head).join(Case).where(Case.reference == found.group(0))
        assert sorted(session.scalars(query).all()) == sorted(HEADS)
    # What the person typed is shown as text, never run as HTML.
    _type(browser, "<img src=x onerror=\"document.title='owned'\"> hello")
    assert browser.title != "owned"
