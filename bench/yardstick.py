"""The yardstick for signed-in pages: what every signed-in page must do, and no more.

A minimal Flask app (served by gunicorn like the real one, as
``bench.yardstick:app``) that, on each request, decodes the session cookie,
loads the member by primary key through Flask-Login, and renders a 20-row
template. It reads the same database as the app under test (DATABASE_URL),
with the same SECRET_KEY, through a one-table model of its own.
"""

from __future__ import annotations

import os

from flask import Flask, abort, render_template
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user
from flask_sqlalchemy import SQLAlchemy
from jinja2 import DictLoader
from sqlalchemy.orm import Mapped, mapped_column

from bench.minimal_page import ROWS

PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>服务</title></head>
<body><header>{{ current_user.display_name }}</header><main><h1>服务</h1>
<table><caption>服务</caption>
<thead><tr><th scope="col">名称</th><th scope="col">价格</th><th scope="col">评价</th></tr></thead>
<tbody>
{% for row in rows %}<tr><th scope="row"><a href="/p/{{ loop.index }}">{{ row.name }}</a></th>
<td>{{ row.price }}</td><td>{{ row.stars }}</td></tr>
{% endfor %}</tbody></table></main></body></html>"""

db = SQLAlchemy()
login_manager = LoginManager()


class Member(UserMixin, db.Model):
    """The members table, as much of it as the page shows."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str]


@login_manager.user_loader
def load_member(member_id: str) -> Member | None:
    return db.session.get(Member, int(member_id))


app = Flask(__name__)
app.config.update(
    SECRET_KEY=os.environ.get("SECRET_KEY", "bench-yardstick"),
    SQLALCHEMY_DATABASE_URI=os.environ.get("DATABASE_URL", "sqlite://"),
)
app.jinja_loader = DictLoader({"page.html": PAGE})
db.init_app(app)
login_manager.init_app(app)


@app.get("/")
@login_required
def page() -> str:
    return render_template("page.html", rows=ROWS, current_user=current_user)


@app.get("/sign-in/<int:member_id>")
def sign_in(member_id: int) -> str:
    """Sign the bench's client in (once, before the load), as the app's login would."""
    member = db.session.get(Member, member_id)
    if member is None:
        abort(404)
    login_user(member)
    return "ok"


@app.get("/ready")
def ready() -> str:
    return "ok"
