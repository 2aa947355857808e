"""GraphiQL in a real browser, offline: headless Chromium (Debian's chromium + chromium-driver,
driven by selenium) opens GET /graphql on a real port, signs in with the `login` mutation typed into
the editor, puts the token into the headers pane and sees the viewer's username in the result pane.

Every request to anything but the server is refused, three ways: host names do not resolve
(--host-resolver-rules), everything else goes to a proxy that is not there (--proxy-server), and
the DevTools protocol (Fetch domain) fails and records any request that leaves for another origin.
GraphiQL must work all the same: the page and all it loads come from the app itself.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import pytest

from tests.conftest import DEMO_PASSWORD, Api, totp_code

# https://unpkg.com/<package>@<version>/<file>: the file as published in the npm tarball.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",
    # Offline: no host name but the server's address resolves, and whatever is left (an address
    # written as a number) goes to a proxy on a port nothing listens on. Loopback stays direct.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=127.0.0.1",
]
# Where GraphiQL's page used to load its scripts from, before it was served by the app.
CDN = "https://unpkg.com/react@18.2.0/umd/react.production.min.js"
WAIT = 30.0
LOGIN = (
    'mutation { login(input: {username: "officer.hanoi", password: %s, totpCode: %s, '
    'deviceId: "graphiql-browser-test"})'
    " { __typename ... on LoginSuccess { token account { username role } } } }"
)
VIEWER = "{ viewer { account { username role } } }"
PARSED = """const cm = document.querySelector(arguments[0]).CodeMirror;
return Boolean(cm.documentAST && cm.documentAST.loc && cm.documentAST.loc.source.body === cm.getValue());"""
QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
RESULT_PANE = ".graphiql-response"
RESULT_EDITOR = ".graphiql-response .CodeMirror"
HEADERS_EDITOR = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"
INTROSPECTION_DONE = """return performance.getEntriesByType('resource').some(
  (e) => e.initiatorType === 'fetch' && new URL(e.name).pathname === '/graphql' && e.responseEnd > 0);"""


class Offline(threading.Thread):
    """Lets the browser reach the server's own origin only: any other request is failed and kept
    (DevTools protocol, Fetch domain, which sees every request the page makes but WebSockets)."""

    def __init__(self, websocket_url: str, origin: str) -> None:
        super().__init__(daemon=True)
        self.websocket_url = websocket_url
        self.origin = origin
        self.local: list[str] = []
        self.refused: list[str] = []
        self.connection: Any = None
        self.ready = threading.Event()
        self.start()
        if not self.ready.wait(WAIT):
            raise TimeoutError("the DevTools connection did not enable request interception")

    def _send(self, id_: int, method: str, params: dict[str, Any]) -> None:
        self.connection.send(json.dumps({"id": id_, "method": method, "params": params}))

    def run(self) -> None:
        from websockets.exceptions import ConnectionClosed
        from websockets.sync.client import connect

        next_id = 100
        try:
            with connect(self.websocket_url, max_size=None, open_timeout=WAIT) as self.connection:
                self._send(1, "Fetch.enable", {"patterns": [{"urlPattern": "*"}]})
                for raw in self.connection:
                    message = json.loads(raw)
                    if message.get("id") == 1:
                        self.ready.set()  # interception is on: the page may be opened
                    if message.get("method") != "Fetch.requestPaused":
                        continue
                    params = message["params"]
                    url = params["request"]["url"]
                    next_id += 1
                    if url == self.origin or url.startswith(self.origin + "/"):
                        self.local.append(url)
                        self._send(next_id, "Fetch.continueRequest", {"requestId": params["requestId"]})
                    else:
                        self.refused.append(url)
                        self._send(
                            next_id,
                            "Fetch.failRequest",
                            {"requestId": params["requestId"], "errorReason": "BlockedByClient"},
                        )
        except ConnectionClosed:
            pass

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
        self.join(WAIT)


def _editor(driver: Any, selector: str, value: str | None = None) -> str:
    """Reads (or sets) a GraphiQL editor through the CodeMirror instance on its element."""
    script = (
        "const cm = document.querySelector(arguments[0]).CodeMirror;"
        "if (arguments[1] !== null) { cm.setValue(arguments[1]); }"
        "return cm.getValue();"
    )
    return str(driver.execute_script(script, selector, value))


def _run_query(driver: Any) -> None:
    """Ctrl-Enter in the query editor, the shortcut the page itself advertises, once GraphiQL has
    parsed what the editor holds (it does so after a pause in typing, and sends the operation name
    it found then: a stale one gets a plain-text 400 from strawberry)."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, WAIT).until(lambda d: d.execute_script(PARSED, QUERY_EDITOR))
    driver.execute_script("document.querySelector(arguments[0]).CodeMirror.focus();", QUERY_EDITOR)
    ActionChains(driver).key_down(Keys.CONTROL).send_keys(Keys.ENTER).key_up(Keys.CONTROL).perform()


def _result_text(driver: Any) -> str:
    """The result pane as the user sees it (rendered text), or "" while React replaces it."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By

    try:
        return str(driver.find_element(By.CSS_SELECTOR, RESULT_PANE).text)
    except (NoSuchElementException, StaleElementReferenceException):
        return ""


def _click(driver: Any, locator: tuple[str, str]) -> None:
    """Clicks once the element is clickable; React may re-render it in between (stale: try again)."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    def clicked(d: Any) -> bool:
        try:
            element = expected_conditions.element_to_be_clickable(locator)(d)
            if element is False:
                return False
            element.click()
        except StaleElementReferenceException:
            return False
        return True

    WebDriverWait(driver, WAIT).until(clicked)


@contextmanager
def _graphiql(
    browser: tuple[str, str], url: str, headers: dict[str, str] | None = None
) -> Iterator[tuple[Any, Offline]]:
    """Chromium, offline, on GraphiQL (its headers pane filled with `headers`), once the schema was
    asked for."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    chromium, chromedriver = browser
    origin = url.split("/graphql", 1)[0]
    with tempfile.TemporaryDirectory() as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
        offline: Offline | None = None
        try:
            address = driver.capabilities["goog:chromeOptions"]["debuggerAddress"]
            with urllib.request.urlopen(f"http://{address}/json/list", timeout=WAIT) as answer:
                targets = json.load(answer)
            page = next(t for t in targets if t["id"] == driver.current_window_handle)
            offline = Offline(page["webSocketDebuggerUrl"], origin)
            if headers:
                # The page's own `headers` parameter: what GraphiQL shows in its headers pane.
                url += "?headers=" + quote(json.dumps(headers), safe="")  # decodeURIComponent: no "+"
            driver.get(url)
            # GraphiQL introspects the schema as it opens and shows a failure of that in the result
            # pane: let that answer arrive before running anything, or it may overwrite ours.
            WebDriverWait(driver, WAIT).until(lambda d: d.execute_script(INTROSPECTION_DONE))
            yield driver, offline
        finally:
            if offline is not None:
                offline.close()
            driver.quit()


def _console_problems(driver: Any) -> list[str]:
    """Errors and warnings on the console (a refused script, a CSP violation, a failed request)."""
    return [str(e["message"]) for e in driver.get_log("browser") if e.get("level") in ("SEVERE", "WARNING")]


def _resources(driver: Any) -> list[str]:
    return list(driver.execute_script("return performance.getEntriesByType('resource').map((e) => e.name);"))


def _sign_in_and_query(browser: tuple[str, str], url: str, staff_token: str) -> dict[str, Any]:
    """Opened with officer.hcm's token in the headers pane; signs in as officer.hanoi with the login
    mutation typed into the editor, puts that token into the headers pane, asks who the viewer is.
    Blocking: runs in a thread while the server (on the test's event loop) answers."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with _graphiql(browser, url, {"Authorization": f"Bearer {staff_token}"}) as (driver, offline):
        wait = WebDriverWait(driver, WAIT)
        schema_answer = _editor(driver, RESULT_EDITOR)

        _editor(driver, QUERY_EDITOR, LOGIN % (json.dumps(DEMO_PASSWORD), json.dumps(totp_code())))
        _run_query(driver)
        wait.until(lambda d: '"token"' in _editor(d, RESULT_EDITOR))
        login = json.loads(_editor(driver, RESULT_EDITOR))
        token = login["data"]["login"]["token"]

        _click(driver, (By.XPATH, "//button[normalize-space()='Headers']"))
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, HEADERS_EDITOR))
        _editor(driver, HEADERS_EDITOR, json.dumps({"Authorization": f"Bearer {token}"}))
        _editor(driver, QUERY_EDITOR, VIEWER)
        _run_query(driver)
        wait.until(lambda d: '"viewer"' in _result_text(d))
        return {
            "schema_answer": schema_answer,
            "login": login,
            "result_text": _result_text(driver),
            "result": json.loads(_editor(driver, RESULT_EDITOR)),
            "resources": _resources(driver),
            "local": list(offline.local),
            "refused": list(offline.refused),
            "console": _console_problems(driver),
        }


def _anonymous_schema_answer(browser: tuple[str, str], url: str) -> str:
    """What the result pane shows when GraphiQL is opened without a token (empty: schema loaded)."""
    with _graphiql(browser, url) as (driver, _):
        return _editor(driver, RESULT_EDITOR)


def _cdn_is_unreachable(browser: tuple[str, str], url: str) -> dict[str, Any]:
    """The browser of these tests, sent to the CDN the page used to load from (a navigation: the
    page's Content-Security-Policy does not apply, only the network's refusal does)."""
    with _graphiql(browser, url) as (driver, offline):
        driver.get(CDN)
        return {
            "text": driver.execute_script("return document.documentElement.innerText;"),
            "refused": list(offline.refused),
        }


@pytest.fixture(scope="module")
def browser() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium is None or driver is None:
        pytest.skip("needs Debian's chromium and chromium-driver (scripts/ci-deps installs them)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.skip("needs selenium (scripts/ci-deps installs it)")
    return chromium, driver


async def test_graphiql_signs_in_and_runs_a_query_offline(
    api: Api, live_server: str, browser: tuple[str, str]
) -> None:
    url = live_server.replace("ws://", "http://", 1)
    origin = url.split("/graphql", 1)[0]
    staff = await api.token("officer.hcm")
    outcome = await asyncio.to_thread(_sign_in_and_query, browser, url, staff)

    assert outcome["schema_answer"] == "", outcome["schema_answer"]  # the schema loaded
    assert outcome["login"]["data"]["login"]["__typename"] == "LoginSuccess", outcome["login"]
    assert outcome["result"] == {
        "data": {"viewer": {"account": {"username": "officer.hanoi", "role": "OFFICER"}}}
    }, outcome["result"]
    # What the user sees in the result pane, not only the editor's model.
    assert '"username": "officer.hanoi"' in outcome["result_text"], outcome["result_text"]
    assert outcome["refused"] == []
    assert outcome["console"] == [], outcome["console"]
    # The scripts and styles came from the app (and through the interception: it saw them).
    assets = [r for r in outcome["resources"] if "/graphiql/assets/" in r]
    assert len(assets) == 7, outcome["resources"]
    assert all(r.startswith(origin + "/") for r in outcome["resources"]), outcome["resources"]
    assert {r.split("?")[0] for r in assets} <= {r.split("?")[0] for r in outcome["local"]}


async def test_graphiql_loads_the_schema_without_a_token_offline(
    live_server: str, browser: tuple[str, str]
) -> None:
    url = live_server.replace("ws://", "http://", 1)
    answer = await asyncio.to_thread(_anonymous_schema_answer, browser, url)
    assert answer == "", answer


async def test_browser_offline_cdn_refused(live_server: str, browser: tuple[str, str]) -> None:
    # The two tests above prove nothing unless this browser really cannot reach the internet.
    url = live_server.replace("ws://", "http://", 1)
    outcome = await asyncio.to_thread(_cdn_is_unreachable, browser, url)
    assert outcome["refused"] == [CDN], outcome["refused"]
    assert "React" not in outcome["text"], outcome["text"][:300]
