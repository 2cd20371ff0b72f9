"""Reading a list answer of the API whole, page after page, as a client follows its cursors."""

from __future__ import annotations


def every_item(client, path: str, **params) -> list[dict]:
    """Every item `path` lists for `params`, following `next_cursor` to the last page."""
    items, cursor = [], None
    while True:
        page = client.get(path, params={"limit": 500, **params} | ({"cursor": cursor} if cursor else {}))
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        if not (cursor := page.json()["next_cursor"]):
            return items
