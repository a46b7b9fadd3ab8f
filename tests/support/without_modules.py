"""Run a Python script as if some top-level modules were not installed.

    python tests/support/without_modules.py cgi,distutils manage.py check

A finder placed first on sys.meta_path refuses the named modules (and their
submodules), the way a venv without legacy-cgi or setuptools would. The
tests use it to see what a maintainer sees when a per-Python package is
missing, without keeping a broken venv around.
"""
import runpy
import sys


class Refuse:
    def __init__(self, names):
        self.names = set(names)

    def find_spec(self, fullname, path=None, target=None):
        if fullname.partition(".")[0] in self.names:
            raise ModuleNotFoundError("No module named %r" % fullname, name=fullname)
        return None


def main():
    names, script = sys.argv[1].split(","), sys.argv[2]
    sys.meta_path.insert(0, Refuse(names))
    sys.argv = sys.argv[2:]
    sys.path.insert(0, ".")
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
