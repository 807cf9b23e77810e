"""Flask extensions, created unbound here and bound to an app in :func:`forum.create_app`."""

from flask_login import LoginManager
from flask_mailman import Mail
from flask_socketio import SocketIO
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
mail = Mail()  # sends invitation links when FORUM_SMTP_HOST is set
socketio = SocketIO()
