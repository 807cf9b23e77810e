"""Flask extensions, created unbound here and bound to an app in :func:`forum.create_app`."""

from flask_login import LoginManager
from flask_socketio import SocketIO
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
socketio = SocketIO()
