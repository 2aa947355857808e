"""Abusive queries are refused before they run, with the computed figures in the message."""

from __future__ import annotations

from tests.conftest import Api, codes


async def test_query_cost_over_public_limit_refused_with_cost_and_limit(api: Api) -> None:
    query = "{ offices(first: 100) { nodes { code name address { text } } } healthFacilities(first: 100) { nodes { code name address { province { name } ward { name } district { name } text street } } } }"
    body = await api.post(query)
    assert body.get("errors") is None  # a few thousand: fine (and two root lists share one session)
    deep = "{ persons(first: 100) { nodes { contributionPeriods(first: 100) { nodes { unit { employees(first: 100) { nodes { id } } } } } } } }"
    body = await api.post(deep, as_="0113099841")
    assert codes(body) == ["QUERY_TOO_COMPLEX"]
    error = body["errors"][0]
    assert error["extensions"]["cost"] > 20_000
    assert "the limit is 20,000" in error["message"]


async def test_query_cost_staff_limit_higher(api: Api) -> None:
    query = "{ units(first: 100) { nodes { code employees(first: 100) { nodes { id fullName } } } } }"
    assert "errors" not in await api.post(query, as_="admin")
    refused = await api.post(query, as_="0113099841")
    assert codes(refused) == ["QUERY_TOO_COMPLEX"]


async def test_query_depth_and_aliases_refused(api: Api) -> None:
    nested = "{ viewer { person { contributionPeriods { nodes { unit { contributionPeriods { nodes { person { contributionPeriods { nodes { unit { contributionPeriods { nodes { id } } } } } } } } } } } } } }"
    body = await api.post(nested, as_="0113099841")
    # Every limit it breaks is named, depth and cost alike.
    assert set(codes(body)) == {"QUERY_TOO_COMPLEX"}
    assert any("nested 14 levels deep; the limit is 12" in e["message"] for e in body["errors"])
    aliases = "{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }"
    body = await api.post(aliases)
    assert codes(body) == ["QUERY_TOO_COMPLEX"] and "31 aliases" in body["errors"][0]["message"]


async def test_query_directives_limit(api: Api) -> None:
    query = "{ __typename " + " ".join("__typename @skip(if: false)" for _ in range(21)) + " }"
    body = await api.post(query)
    assert codes(body) == ["QUERY_TOO_COMPLEX"] and "21 directives" in body["errors"][0]["message"]


async def test_query_cost_counts_variables(api: Api) -> None:
    query = "query($n: Int) { units(first: $n) { nodes { employees(first: $n) { nodes { id } } } } }"
    small = await api.post(query, {"n": 10}, as_="0113099841")
    assert "QUERY_TOO_COMPLEX" not in codes(small)
    big = await api.post(query, {"n": 100}, as_="0113099841")
    assert codes(big) == ["QUERY_TOO_COMPLEX"]


async def test_query_cost_first_beyond_int_refused_with_a_readable_cost(api: Api) -> None:
    """Found by schemathesis: a `first` beyond any 64-bit integer made the cost unencodable (HTTP 500)."""
    huge = 12935704965231977196158976
    literal = f"{{ participatingUnits(first: {huge}) {{ totalCount }} }}"
    nested = "query($n: Int) { units(first: $n) { nodes { employees(first: $n) { nodes { id } } } } }"
    for query, variables in ((literal, None), (nested, {"n": huge})):
        body = await api.post(query, variables, as_="admin")
        assert codes(body) == ["QUERY_TOO_COMPLEX"], body
        cost = body["errors"][0]["extensions"]["cost"]
        assert 250_000 < cost <= 2**53 - 1
    assert "at least 9,007,199,254,740,991 values" in body["errors"][0]["message"]


def fragment_bomb(levels: int, leaf: str = "__typename", operation: str = "query") -> str:
    """Fragment F<i> spreads F<i-1> twice: about 40 bytes a level, 2**levels leaves when expanded."""
    fragments = [f"fragment F0 on {operation.capitalize()} {{ {leaf} }}"]
    fragments += [
        f"fragment F{i} on {operation.capitalize()} {{ ...F{i - 1} ...F{i - 1} }}"
        for i in range(1, levels + 1)
    ]
    return f"{operation} {{ ...F{levels} }}\n" + "\n".join(fragments)


async def test_fragment_fan_out_refused_as_too_complex(api: Api) -> None:
    """A kilobyte that expands to 2**30 selections is refused before validation and execution, in
    time linear in the document: the walk measures each fragment once."""
    for levels in (20, 30):
        body = await api.post(fragment_bomb(levels))
        assert codes(body) == ["QUERY_TOO_COMPLEX"], body
        assert body["errors"][0]["extensions"]["cost"] >= 2**levels
        assert body.get("data") is None


async def test_fragment_fan_out_measured_in_linear_time() -> None:
    """What the walk does grows with the document, not with its expansion: 60 levels (2**60
    selections) are measured at once, and the figures are the expansion's."""
    from graphql import parse

    from auth.limits import MAX_COST, measure

    shape = measure(parse(fragment_bomb(60, leaf="faqs { nodes { id } }")), None, None)
    assert shape.cost == MAX_COST and shape.depth == 3
    small = measure(parse(fragment_bomb(3, leaf="faqs { nodes { id } }")), None, None)
    # 8 copies of the leaf (41 each) and the 15 spreads that copy it.
    assert small.cost == 8 * 41 + 15 and small.depth == 3


async def test_fragment_fan_out_refused_over_websocket(live_server: str) -> None:
    from tests.wsclient import connect

    async with connect(live_server) as ws:
        op = await ws.subscribe(fragment_bomb(30))
        message = await ws.receive()
        assert message["id"] == op and message["type"] == "error", message
        assert [e["extensions"]["code"] for e in message["payload"]] == ["QUERY_TOO_COMPLEX"]


async def test_query_tokens_over_limit_refused_before_validation(api: Api) -> None:
    """The document's size is bounded in tokens (the overlapping-fields rule is quadratic in the
    repetitions of a field, so a long document of one field repeated would pin a core)."""
    from auth.limits import PUBLIC

    repeated = "{ " + "viewer { __typename } " * (PUBLIC.tokens // 4 + 1) + "}"
    body = await api.post(repeated)
    assert codes(body) == ["BAD_USER_INPUT"], body
    assert f"more than {PUBLIC.tokens} tokens" in body["errors"][0]["message"]


async def test_query_repeated_fields_over_limit_refused_as_too_complex(api: Api) -> None:
    from auth.limits import PUBLIC

    repeated = "{ " + "viewer { __typename } " * (PUBLIC.fields // 2 + 1) + "}"
    body = await api.post(repeated)
    assert codes(body) == ["QUERY_TOO_COMPLEX"], body
    assert f"the limit is {PUBLIC.fields:,}" in body["errors"][0]["message"]
