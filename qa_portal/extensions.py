"""The shared extension objects, initialised by create_app()."""

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
login_manager.login_view = "accounts.sign_in"
login_manager.login_message = "Sign in to continue."
login_manager.login_message_category = "info"
# Sessions are checked against the server-side session table instead (accounts.sessions).
login_manager.session_protection = None

csrf = CSRFProtect()
migrate = Migrate(directory="migrations", render_as_batch=True, compare_type=True)
