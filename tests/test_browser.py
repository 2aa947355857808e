"""GraphiQL in a real browser: headless Chromium (Debian's chromium + chromium-driver, driven by
selenium) opens GET /graphql on a real port, signs in with the `login` mutation typed into the
editor, puts the token into the headers pane and sees the viewer's username in the result pane.

Strawberry's GraphiQL page loads React and GraphiQL from a CDN (unpkg), which CI cannot reach. The
page is served unchanged; the browser's requests to the CDN are answered, through the DevTools
protocol (Fetch domain), with the very same files taken from the npm registry (`npm pack`, cached
under pytest's cache directory). The page's Subresource Integrity hashes prove they are the same
bytes the CDN would have sent.
"""

from __future__ import annotations

import asyncio
import base64
import json
import mimetypes
import re
import shutil
import subprocess
import tarfile
import tempfile
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.conftest import DEMO_PASSWORD, Api, totp_code

# https://unpkg.com/<package>@<version>/<file>: the file as published in the npm tarball.
UNPKG = re.compile(r"https://unpkg\.com/((?:@[\w.-]+/)?[\w.-]+@[\w.-]+)/([^\"'\s]+)")
CDN_REFERENCE = re.compile(r"(?:src|href)=\"(https?://[^\"]+)\"")
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
]
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


def _npm_file(cache: Path, package: str, path: str) -> bytes:
    """One file of a published npm package, as unpkg serves it (fetched once, then cached)."""
    target = cache / package / path
    if not target.is_file():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("GraphiQL's assets come from the npm registry: needs npm (scripts/ci-deps)")
        with tempfile.TemporaryDirectory() as folder:
            try:
                subprocess.run(
                    [npm, "pack", package, "--pack-destination", folder, "--silent"],
                    check=True,
                    capture_output=True,
                    timeout=180,
                )
            except (subprocess.SubprocessError, OSError) as exc:
                pytest.skip(f"npm pack {package} failed, GraphiQL's assets are unavailable: {exc}")
            for tarball in Path(folder).glob("*.tgz"):
                with tarfile.open(tarball) as archive:
                    for member in archive.getmembers():
                        name = member.name.split("/", 1)[-1]
                        source = archive.extractfile(member) if member.isfile() else None
                        if source is None or ".." in Path(name).parts:
                            continue
                        destination = cache / package / name
                        destination.parent.mkdir(parents=True, exist_ok=True)
                        destination.write_bytes(source.read())
        if not target.is_file():
            pytest.skip(f"{package} has no {path} on the npm registry")
    return target.read_bytes()


class CdnFromNpm(threading.Thread):
    """Answers the page's CDN requests with local files, over the DevTools protocol (Fetch)."""

    def __init__(self, websocket_url: str, files: dict[str, bytes]) -> None:
        super().__init__(daemon=True)
        self.websocket_url = websocket_url
        self.files = files
        self.served: list[str] = []
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
                self._send(1, "Fetch.enable", {"patterns": [{"urlPattern": "https://*"}]})
                for raw in self.connection:
                    message = json.loads(raw)
                    if message.get("id") == 1:
                        self.ready.set()  # interception is on: the page may be opened
                    if message.get("method") != "Fetch.requestPaused":
                        continue
                    params = message["params"]
                    url = params["request"]["url"]
                    next_id += 1
                    body = self.files.get(url)
                    if body is None:
                        self.refused.append(url)
                        self._send(
                            next_id,
                            "Fetch.failRequest",
                            {"requestId": params["requestId"], "errorReason": "NameNotResolved"},
                        )
                        continue
                    self.served.append(url)
                    media = mimetypes.guess_type(url)[0] or "application/octet-stream"
                    headers = [
                        {"name": "Content-Type", "value": f"{media}; charset=utf-8"},
                        {"name": "Access-Control-Allow-Origin", "value": "*"},
                    ]
                    self._send(
                        next_id,
                        "Fetch.fulfillRequest",
                        {
                            "requestId": params["requestId"],
                            "responseCode": 200,
                            "responseHeaders": headers,
                            "body": base64.b64encode(body).decode(),
                        },
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
    browser: tuple[str, str], url: str, files: dict[str, bytes], headers: dict[str, str] | None = None
) -> Iterator[tuple[Any, CdnFromNpm]]:
    """Chromium on GraphiQL (its headers pane filled with `headers`), once the schema was asked for."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    chromium, chromedriver = browser
    with tempfile.TemporaryDirectory() as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        options.set_capability("goog:loggingPrefs", {"browser": "SEVERE"})
        for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
        cdn: CdnFromNpm | None = None
        try:
            address = driver.capabilities["goog:chromeOptions"]["debuggerAddress"]
            with urllib.request.urlopen(f"http://{address}/json/list", timeout=WAIT) as answer:
                targets = json.load(answer)
            page = next(t for t in targets if t["id"] == driver.current_window_handle)
            cdn = CdnFromNpm(page["webSocketDebuggerUrl"], files)
            if headers:
                # The page's own `headers` parameter: what GraphiQL shows in its headers pane.
                url += "?headers=" + quote(json.dumps(headers), safe="")  # decodeURIComponent: no "+"
            driver.get(url)
            # GraphiQL introspects the schema as it opens and shows a failure of that in the result
            # pane: let that answer arrive before running anything, or it may overwrite ours.
            WebDriverWait(driver, WAIT).until(lambda d: d.execute_script(INTROSPECTION_DONE))
            yield driver, cdn
        finally:
            if cdn is not None:
                cdn.close()
            driver.quit()


def _severe_console(driver: Any) -> list[str]:
    return [str(e["message"]) for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def _sign_in_and_query(
    browser: tuple[str, str], url: str, files: dict[str, bytes], staff_token: str
) -> dict[str, Any]:
    """Opened with officer.hcm's token in the headers pane; signs in as officer.hanoi with the login
    mutation typed into the editor, puts that token into the headers pane, asks who the viewer is.
    Blocking: runs in a thread while the server (on the test's event loop) answers."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with _graphiql(browser, url, files, {"Authorization": f"Bearer {staff_token}"}) as (driver, cdn):
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
            "served": list(cdn.served),
            "refused": list(cdn.refused),
            "console": _severe_console(driver),
        }


def _anonymous_schema_answer(browser: tuple[str, str], url: str, files: dict[str, bytes]) -> str:
    """What the result pane shows when GraphiQL is opened without a token (empty: schema loaded)."""
    with _graphiql(browser, url, files) as (driver, _):
        return _editor(driver, RESULT_EDITOR)


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


@pytest.fixture(scope="module")
async def cdn_files(api: Api, pytestconfig: Any) -> dict[str, bytes]:
    """GraphiQL's page as the app serves it, and the CDN files it names, from the npm registry."""
    page = await api.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    references = CDN_REFERENCE.findall(page.text)
    assert references, "GraphiQL's page names no scripts or styles"
    unsupported = [url for url in references if not UNPKG.fullmatch(url)]
    if unsupported:
        pytest.skip(
            f"GraphiQL's page loads {unsupported[0]}, which is not a file of an npm package: "
            "it needs a local copy of GraphiQL's assets served by the app"
        )
    cache = pytestconfig.cache.mkdir("graphiql-assets") if pytestconfig.cache else Path(tempfile.mkdtemp())
    files: dict[str, bytes] = {}
    for url in references:
        match = UNPKG.fullmatch(url)
        assert match is not None
        files[url] = await asyncio.to_thread(_npm_file, cache, match[1], match[2])
    return files


async def test_graphiql_signs_in_and_runs_a_query(
    api: Api, live_server: str, browser: tuple[str, str], cdn_files: dict[str, bytes]
) -> None:
    url = live_server.replace("ws://", "http://", 1)
    staff = await api.token("officer.hcm")
    outcome = await asyncio.to_thread(_sign_in_and_query, browser, url, cdn_files, staff)

    assert outcome["schema_answer"] == "", outcome["schema_answer"]  # the schema loaded
    assert outcome["login"]["data"]["login"]["__typename"] == "LoginSuccess", outcome["login"]
    assert outcome["result"] == {
        "data": {"viewer": {"account": {"username": "officer.hanoi", "role": "OFFICER"}}}
    }, outcome["result"]
    # What the user sees in the result pane, not only the editor's model.
    assert '"username": "officer.hanoi"' in outcome["result_text"], outcome["result_text"]
    assert set(outcome["served"]) == set(cdn_files), outcome["served"]
    assert outcome["refused"] == []
    assert outcome["console"] == [], outcome["console"]


async def test_graphiql_loads_the_schema_without_a_token(
    live_server: str, browser: tuple[str, str], cdn_files: dict[str, bytes]
) -> None:
    url = live_server.replace("ws://", "http://", 1)
    answer = await asyncio.to_thread(_anonymous_schema_answer, browser, url, cdn_files)
    assert answer == "", answer
