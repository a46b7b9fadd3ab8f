"""The classroom split the lessons' e2e modules use: two workers, ``LESSONS=1``, traces of its own.

A module imports ``split`` from here. It overrides the shared split for that
module only, so conftest's ``ws`` opens its sockets to this one.
"""
import pytest

from tests.support.splits import running_split


@pytest.fixture(scope="module")
def split(request, tmp_path_factory):
    name = request.module.__name__.rsplit(".", 1)[-1].replace("_", "-")
    data = tmp_path_factory.mktemp(name)
    env = {"LESSONS": "1", "INSPECTOR_TRACES_DIR": str(data / "traces")}
    with running_split(name, data, env=env) as running:
        yield running
