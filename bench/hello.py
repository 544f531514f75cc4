"""The bare Flask reference: one route returning a short string."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "Hello, world"
