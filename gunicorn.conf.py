"""Settings every gunicorn serving the portal reads (`--config gunicorn.conf.py`; gunicorn also
reads this file by default when started here)."""

import gunicorn
import gunicorn.http.wsgi

# Every response carries a Server header; gunicorn's own would name the software and its
# version to anyone probing for a known weakness. The response module copies the name when
# imported, so both places are set, before any worker starts.
gunicorn.SERVER = gunicorn.http.wsgi.SERVER = "qa-portal"
