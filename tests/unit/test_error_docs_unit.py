"""The README's error table says what CLOSE_CODES does, row for row."""
import os
import re

from channels_kit.client_errors import CLOSE_CODES
from tests.support.paths import ROOT

ROW = re.compile(r"^\| `([a-z-]+)` \| (stays open|\d{4}) \|", re.MULTILINE)


def test_readme_error_table_matches_close_codes():
    with open(os.path.join(ROOT, "README.md")) as f:
        rows = dict(ROW.findall(f.read()))
    documented = {name: None if code == "stays open" else int(code) for name, code in rows.items()}
    assert documented == CLOSE_CODES
