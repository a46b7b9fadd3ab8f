"""Whether a page fits its window as a class sees it: on a narrow laptop and on a projector.

Three things a student at the back of the room notices: a page wider than
the window (something to scroll sideways to), a box that cuts its content
off (overflow hidden, content larger than the box), and text too small to
read. Boxes that scroll (the inspector's events and sequence) are not cut:
what is outside them is a scroll away.
"""

# Windows a class meets: a narrow laptop and a 720p projector (CSS pixels).
SIZES = {"laptop-1100": {"width": 1100, "height": 800}, "projector-1280x720": {"width": 1280, "height": 720}}
# The smallest text, in CSS pixels, anyone is asked to read.
FONT_FLOOR_PX = 12

PROBLEMS = """(floor) => {
  const problems = [];
  const describe = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.getAttribute("class") ? "." + el.getAttribute("class").split(" ").join(".") : "") +
    " '" + (el.textContent || "").trim().slice(0, 40) + "'";
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth) {
    problems.push("the page is " + doc.scrollWidth + " px wide in a " + window.innerWidth + " px window");
  }
  for (const el of document.querySelectorAll("body *")) {
    const style = getComputedStyle(el);
    const rect = el.getBoundingClientRect();
    if (style.display === "none" || style.visibility === "hidden" || (!rect.width && !rect.height)) {
      continue;
    }
    const cuts = /hidden|clip/.test(style.overflowX + " " + style.overflowY);
    if (cuts && (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1)) {
      problems.push("cut off: " + describe(el));
    }
    const ownText = [...el.childNodes].some(node => node.nodeType === 3 && node.textContent.trim());
    if (ownText && parseFloat(style.fontSize) < floor) {
      problems.push("text of " + style.fontSize + ": " + describe(el));
    }
  }
  return problems;
}"""


def fit_problems(page, floor=FONT_FLOOR_PX):
    """What does not fit on ``page`` as it is now: [] when everything does."""
    return page.evaluate(PROBLEMS, floor)
