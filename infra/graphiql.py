"""GraphiQL served entirely by the app: the page, and its scripts and styles from
`infra/static/graphiql/` (built from pinned npm packages by `scripts/build-graphiql`, committed
with their licences). Nothing comes from a CDN, so GraphiQL works on networks without internet,
and the page's Content-Security-Policy lets it load nothing from anywhere else."""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

STATIC = Path(__file__).resolve().parent / "static" / "graphiql"
ASSETS_PATH = "/graphiql/assets"

# In the page's order: React before what uses it, GraphiQL before its plugin, our start-up last.
SCRIPTS = (
    "vendor/react.production.min.js",
    "vendor/react-dom.production.min.js",
    "vendor/graphiql.min.js",
    "vendor/plugin-explorer.umd.js",
    "start.js",
)
STYLES = ("vendor/graphiql.min.css", "vendor/plugin-explorer.css")
NOTICES = ("vendor/LICENSES.txt", "vendor/manifest.json")
MEDIA = {".js": "text/javascript", ".css": "text/css", ".txt": "text/plain", ".json": "application/json"}

# GraphiQL and its libraries put inline styles on elements (hence 'unsafe-inline' for styles only);
# its fonts and icons are data: URLs; queries and subscriptions go to this same server.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'"
)

PAGE = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta http-equiv="Content-Security-Policy" content="{csp}">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>ansinh GraphiQL</title>
    <link rel="icon" href="data:,">
{styles}
    <style>
      body {{ height: 100%; margin: 0; width: 100%; overflow: hidden; }}
      #graphiql {{ height: 100vh; display: flex; }}
    </style>
    <script type="application/json" id="graphiql-examples">{examples}</script>
  </head>
  <body>
    <div id="graphiql" class="graphiql-container">Loading…</div>
{scripts}
  </body>
</html>
"""


@dataclass(frozen=True)
class Asset:
    body: bytes
    compressed: bytes
    media_type: str
    version: str


@cache
def _asset(name: str) -> Asset:
    """One file, read and compressed once per process (2 MB of scripts: not per request)."""
    body = (STATIC / name).read_bytes()
    media = MEDIA[Path(name).suffix]
    if media.startswith("text/") or media == "application/json":
        media += "; charset=utf-8"
    return Asset(body, gzip.compress(body, 6, mtime=0), media, hashlib.sha256(body).hexdigest()[:16])


def _url(name: str) -> str:
    # Relative to /graphql, so the page works under a path prefix too; the version in the query
    # string lets browsers keep a file for a year and still fetch a rebuilt one at once.
    return f"{ASSETS_PATH.lstrip('/')}/{name}?v={_asset(name).version}"


def graphiql_html(examples: str) -> str:
    """GraphiQL's page, its editor opening on `examples` (GraphQL operations and comments)."""
    # In a <script> element only "</" can end the element early: JSON may write it as "<\/".
    data = json.dumps(examples, ensure_ascii=False).replace("</", "<\\/")
    return PAGE.format(
        csp=CSP,
        styles="\n".join(f'    <link rel="stylesheet" href="{_url(name)}">' for name in STYLES),
        scripts="\n".join(f'    <script src="{_url(name)}"></script>' for name in SCRIPTS),
        examples=data,
    )


async def _serve(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in (*SCRIPTS, *STYLES, *NOTICES):
        return PlainTextResponse("Not found", status_code=404)
    asset = _asset(name)
    headers = {"Cache-Control": "public, max-age=31536000, immutable", "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(asset.compressed, media_type=asset.media_type, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


def graphiql_assets_route() -> Route:
    """The route of the page's files (and of their licences: vendor/LICENSES.txt)."""
    return Route(ASSETS_PATH + "/{name:path}", _serve, methods=["GET", "HEAD"], name="graphiql-assets")
