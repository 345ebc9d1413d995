"""The yardstick for the browse benchmark: a minimal Flask app rendering a 20-row page.

Served by gunicorn exactly like the real app (``bench.minimal_page:app``).
"""

from __future__ import annotations

from flask import Flask, render_template
from jinja2 import DictLoader

ROWS = [
    {"name": f"家政服务{n:02d}", "price": f"¥{50 + n}", "stars": "4.6 ★ (23 条评价)"}
    for n in range(20)
]

PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>服务</title></head>
<body><main><h1>服务</h1>
<table><caption>服务</caption>
<thead><tr><th scope="col">名称</th><th scope="col">价格</th><th scope="col">评价</th></tr></thead>
<tbody>
{% for row in rows %}<tr><th scope="row"><a href="/p/{{ loop.index }}">{{ row.name }}</a></th>
<td>{{ row.price }}</td><td>{{ row.stars }}</td></tr>
{% endfor %}</tbody></table></main></body></html>"""

app = Flask(__name__)
# A template file like any app's (compiled once and cached), not a string compiled per request.
app.jinja_loader = DictLoader({"page.html": PAGE})


@app.get("/")
def page() -> str:
    return render_template("page.html", rows=ROWS)
