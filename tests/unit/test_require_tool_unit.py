"""require_tool: a missing tool skips, except under STRICT_TOOLS=1 (CI), where it fails."""
import pytest

from tests.conftest import require_tool


def test_found_tool_is_returned(monkeypatch):
    monkeypatch.setenv("STRICT_TOOLS", "1")
    assert require_tool("chromium", "/usr/bin/chromium") == "/usr/bin/chromium"


def test_missing_tool_skips_by_default(monkeypatch):
    monkeypatch.delenv("STRICT_TOOLS", raising=False)
    with pytest.raises(pytest.skip.Exception, match="chromium not found; apt-get it"):
        require_tool("chromium", None, "apt-get it")


def test_missing_tool_fails_under_strict_tools(monkeypatch):
    monkeypatch.setenv("STRICT_TOOLS", "1")
    with pytest.raises(pytest.fail.Exception, match="STRICT_TOOLS=1"):
        require_tool("chromium", None)
