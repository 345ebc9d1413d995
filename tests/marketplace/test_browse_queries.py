"""The browse page's SQL statements do not grow with the number of providers shown."""

from __future__ import annotations

from extensions import db
from tests.conftest import counted_statements, login


def _providers(make_provider, make_item, make_community, count: int, start: int = 0) -> None:
    second = make_community(f"第二社区{start}")
    for n in range(start, start + count):
        provider = make_provider(f"家政{n:02d}", communities=[second] if n % 2 else None)
        make_item(provider, f"保洁{n}", price_fen=5000 + n * 100)
        make_item(provider, f"午餐{n}", category="meals", unit="meal", price_fen=1500)
        provider.rating_count, provider.rating_sum = n + 1, 4 * (n + 1)
    db.session.commit()


def _statements_for_page(client) -> list[str]:
    with counted_statements() as statements:
        response = client.get("/market/")
    assert response.status_code == 200
    return statements


def test_two_providers_and_twenty_cost_the_same_queries(
    client, elder, make_provider, make_item, make_community
):
    login(client, elder)
    client.get("/market/")  # the first page also looks up the street, once per worker
    _providers(make_provider, make_item, make_community, 2)
    two = _statements_for_page(client)
    assert client.get("/market/").get_data(as_text=True).count('class="card"') == 2

    _providers(make_provider, make_item, make_community, 18, start=2)
    twenty = _statements_for_page(client)
    assert client.get("/market/").get_data(as_text=True).count('class="card"') == 20
    assert len(twenty) == len(two), "\n".join(twenty)
