"""GraphiQL's page and its files come from the app: nothing from a CDN, the files as built from the
pinned npm packages (their hashes in the manifest), their licences shipped beside them."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from infra.graphiql import STATIC
from tests.conftest import Api

REFERENCE = re.compile(r"""(?:src|href)=["']([^"']+)["']""")


async def test_graphiql_page_loads_only_the_apps_own_files(api: Api) -> None:
    page = await api.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    references = [r for r in REFERENCE.findall(page.text) if r != "data:,"]
    assert len(references) == 7, references
    assert all(r.startswith("graphiql/assets/") for r in references), references
    # The page may load nothing from anywhere else, whatever a script might try.
    assert "script-src 'self';" in page.text and "connect-src 'self';" in page.text
    for reference in references:
        answer = await api.client.get("/" + reference, headers={"Accept-Encoding": "gzip"})
        assert answer.status_code == 200, reference
        expected = "text/javascript" if reference.split("?")[0].endswith(".js") else "text/css"
        assert answer.headers["content-type"].startswith(expected), reference
        assert "immutable" in answer.headers["cache-control"]
        assert len(answer.content) > 100


async def test_graphiql_assets_unknown_file_not_found(api: Api) -> None:
    for path in (
        "vendor/graphiql.min.js.map",
        "../graphiql.py",
        "..%2Fgraphiql.py",
        "vendor/../start.js.bak",
    ):
        answer = await api.client.get(f"/graphiql/assets/{path}")
        assert answer.status_code == 404, path


async def test_graphiql_assets_gzip_only_when_accepted(api: Api) -> None:
    plain = await api.client.get(
        "/graphiql/assets/vendor/graphiql.min.js", headers={"Accept-Encoding": "identity"}
    )
    assert "content-encoding" not in plain.headers
    assert plain.content == (STATIC / "vendor" / "graphiql.min.js").read_bytes()
    # httpx would decode it: ask the ASGI app with a raw client to see the compressed bytes.
    raw = await api.client.get("/graphiql/assets/vendor/graphiql.min.js", headers={"Accept-Encoding": "gzip"})
    assert raw.headers["content-encoding"] == "gzip"
    assert int(raw.headers["content-length"]) < len(plain.content) / 2
    assert raw.content == plain.content  # decoded by httpx


def test_graphiql_assets_are_the_built_files_with_their_licences() -> None:
    vendor = STATIC / "vendor"
    manifest = json.loads((vendor / "manifest.json").read_text(encoding="utf-8"))
    licences = (vendor / "LICENSES.txt").read_text(encoding="utf-8")
    for name, entry in manifest.items():
        body = (vendor / name).read_bytes()
        assert hashlib.sha256(body).hexdigest() == entry["sha256"], (
            f"{name} differs from what scripts/build-graphiql built: rebuild it, do not edit it"
        )
        assert f"{entry['package']}@{entry['version']} (" in licences, entry["package"]
        assert b"sourceMappingURL" not in body[-200:], name  # no map is shipped: none is asked for
    pinned = json.loads(
        (Path(__file__).resolve().parent.parent / "scripts/graphiql/package.json").read_text()
    )
    for entry in manifest.values():
        assert pinned["dependencies"][entry["package"]] == entry["version"]


def test_graphiql_html_escapes_examples_in_the_page() -> None:
    from infra.graphiql import graphiql_html

    page = graphiql_html("query A { a } # </script><script>alert(1)</script> `${x}` \\")
    body = page.split('id="graphiql-examples">', 1)[1].split("</script>", 1)[0]
    assert json.loads(body) == "query A { a } # </script><script>alert(1)</script> `${x}` \\"
