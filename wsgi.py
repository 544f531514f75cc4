"""The WSGI entry point: gunicorn wsgi:app"""

from qa_portal import create_app

app = create_app()
