"""What a production process loads: the app and its commands, not the demo seeder."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

PROBE = """
import sys
from qa_portal import create_app
app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x" * 40})
app.test_cli_runner().invoke(args=["--help"])
print(sorted(name for name in sys.modules if name.startswith("qa_portal.demo")))
"""


def test_the_app_and_its_commands_load_without_the_demo_seeder():
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "['qa_portal.demo_marker']"
