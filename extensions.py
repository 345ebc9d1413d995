"""Flask extensions, created without an app and bound in create_app()."""

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep Alembic migrations deterministic on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# Limits only where a view asks for one (sign-in, password reset); its settings are the
# RATELIMIT_* entries of config.Config, read by init_app for each app.
limiter = Limiter(key_func=get_remote_address)


def init_limiter(app) -> None:
    """Bind the limiter to ``app``, checking its app-wide hook on POSTs only.

    Every limit is on a POST (a try), and each limited view checks its own limits;
    the hook Flask-Limiter adds before every request (for default limits, of which
    there are none) would cost every other page about 60 µs, a tenth of a light one.
    """
    limiter.init_app(app)
    check = limiter._check_request_limit
    hooks = app.before_request_funcs.setdefault(None, [])
    if check in hooks:  # not there when limits are switched off
        hooks[hooks.index(check)] = lambda: check() if request.method == "POST" else None
