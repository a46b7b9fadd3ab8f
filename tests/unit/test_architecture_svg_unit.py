"""docs/architecture.svg: valid SVG, every lane drawn with arrows, the connect phase drawn.

The picture is hand-kept, so a lane can lose its arrows or a step its label
without anyone noticing; this reads it as a student would: which lanes
exist, which arrows start or end on each, and whether the handshake is
shown held until the accept.
"""
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from tests.support.paths import ROOT

SVG = "{http://www.w3.org/2000/svg}"
LANES = ["browser (x2)", "daphne", "Redis", "worker 1", "worker 2"]


@pytest.fixture(scope="module")
def picture():
    return ElementTree.parse(Path(ROOT) / "docs" / "architecture.svg").getroot()


def texts(picture):
    return ["".join(node.itertext()) for node in picture.iter(SVG + "text")]


def lane_x(picture):
    """{lane name: the x of its heading's centre}."""
    return {"".join(node.itertext()): float(node.get("x"))
            for node in picture.iter(SVG + "text") if "".join(node.itertext()) in LANES}


def arrows(picture):
    """(x1, x2) of every arrow: lines inside a group that gives them arrowheads."""
    found = []
    for group in picture.iter(SVG + "g"):
        if group.get("marker-end"):
            found += [(float(line.get("x1")), float(line.get("x2"))) for line in group.iter(SVG + "line")]
    return found


def touches(x, arrow, slack=8):
    return any(abs(x - end) <= slack for end in arrow)


def test_it_is_an_svg_with_every_lane(picture):
    assert picture.tag == SVG + "svg"
    assert sorted(lane_x(picture)) == sorted(LANES)


@pytest.mark.parametrize("lane", LANES)
def test_every_lane_has_arrows(picture, lane):
    x = lane_x(picture)[lane]
    assert sum(touches(x, arrow) for arrow in arrows(picture)) >= 3, lane


def test_the_connect_phase_is_drawn_on_worker_1(picture):
    labels = " | ".join(texts(picture))
    for step in ("send websocket.connect (order 0)", "worker 1 runs consumers.rooms.connect",
                 "channel session saved", 'send {"accept": true}, flushed once connect returned',
                 "receive the accept", "handshake held", "the socket opens"):
        assert step in labels, step


def test_the_handshake_is_held_from_the_connect_until_the_accept(picture):
    """The held bar spans daphne's send of websocket.connect to its receive of the accept."""
    held = next(rect for rect in picture.iter(SVG + "rect") if rect.get("data-held") == "handshake")
    top, bottom = float(held.get("y")), float(held.get("y")) + float(held.get("height"))
    by_label = {"".join(node.itertext()): float(node.get("y")) for node in picture.iter(SVG + "text")}
    sent = next(y for label, y in by_label.items() if "send websocket.connect" in label)
    accepted = next(y for label, y in by_label.items() if "receive the accept" in label)
    assert top <= sent + 10 and bottom >= accepted
