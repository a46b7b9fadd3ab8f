"""Read an nginx config into directives, so tests check its structure, not its spelling.

Enough of nginx's syntax for deploy/: words, single- or double-quoted strings,
``#`` comments, ``;`` ending a directive and ``{ }`` holding a block. A
directive is ``Directive(name, args, block)``; ``block`` is None or a list.
"""
import collections
import re

Directive = collections.namedtuple("Directive", "name args block")

TOKEN = re.compile(r"""\s+|\#[^\n]*|(?P<quoted>"[^"]*"|'[^']*')|(?P<punct>[{};])|(?P<word>[^\s{};]+)""")


def tokens(text):
    for match in TOKEN.finditer(text):
        if match.group("quoted"):
            yield "word", match.group("quoted")[1:-1]
        elif match.group("punct"):
            yield match.group("punct"), None
        elif match.group("word"):
            yield "word", match.group("word")


def parse(text):
    """The top-level directives of ``text``; raises ValueError on unbalanced braces or a missing ``;``."""
    stack, words = [[]], []
    for kind, value in tokens(text):
        if kind == "word":
            words.append(value)
        elif kind == ";":
            stack[-1].append(Directive(words[0], words[1:], None))
            words = []
        elif kind == "{":
            block = []
            stack[-1].append(Directive(words[0], words[1:], block))
            stack.append(block)
            words = []
        else:
            if words or len(stack) == 1:
                raise ValueError("unexpected } after %r" % words)
            stack.pop()
    if words or len(stack) != 1:
        raise ValueError("unterminated directive or block")
    return stack[0]


def find(directives, name, *args):
    """The directives called ``name`` whose arguments start with ``args``."""
    return [d for d in directives if d.name == name and d.args[:len(args)] == list(args)]


def one(directives, name, *args):
    found = find(directives, name, *args)
    assert len(found) == 1, "expected one %s %s, found %d" % (name, " ".join(args), len(found))
    return found[0]
