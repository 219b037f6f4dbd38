"""Flask extensions, created unbound; ``create_app`` binds them.

The limiter counts per ``request.remote_addr``: the client's own address, also behind the
proxies that ``PROXY_HOPS`` trusts (create_app applies werkzeug's ProxyFix). Its storage
comes from ``RATELIMIT_STORAGE_URI``; ``sqlite:///...`` is crm.lib.ratelimit_store.
"""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from crm.database import RoutingSession
from crm.lib import ratelimit_store  # noqa: F401  (registers the sqlite:// storage with limits)
from crm.models.base import Base

db = SQLAlchemy(model_class=Base, session_options={"class_": RoutingSession})
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address)
