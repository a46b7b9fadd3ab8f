"""daphne 1.4.2's own test suite, as shipped inside the package, on this stack.

The classes are imported here so pytest collects them with the rest of the
suite; hypothesis_compat adapts two hypothesis arguments removed since.

Two generators are narrowed, where the test adds a header of its own to
drawn ones. ``TestHTTPRequestSpec.test_kitchen_sink`` appends the body's
Content-Length to random headers; when hypothesis draws ``CONTENT-LENGTH``
(or ``Transfer-Encoding``) too, the request frames its body twice, which
Twisted refuses with 400 as it must (request smuggling), and the test finds
no message. Those framing names are left out of the HTTP tests' headers.

``TestHandshake.test_connection`` adds random
headers to a handshake that already sends its own Host, Origin, Upgrade, ...
(``daphne.tests.factories.build_websocket_upgrade``). When hypothesis draws
one of those names (a 3.12 run drew ``HOST``; replayed on 3.11, that example
fails the same way), the request carries the header twice; daphne joins the
values and the test's "sent value appears as sent" assertion fails, or
Twisted's test transport refuses the malformed Host. The request was
invalid, not daphne, so those names are left out of the drawn headers;
every assertion stays as daphne wrote it.
"""
from tests.support import hypothesis_compat

hypothesis_compat.install()

from daphne.tests import http_strategies  # noqa: E402

FRAMING_HEADERS = {"content-length", "transfer-encoding"}
HANDSHAKE_HEADERS = {"host", "upgrade", "connection", "origin", "sec-websocket-key",
                     "sec-websocket-protocol", "sec-websocket-version"}


def _headers_without(names, draw_headers=http_strategies.headers):
    return lambda: draw_headers().filter(
        lambda pairs: not any(name.lower() in names for name, _ in pairs))


# The test modules draw their strategies at import, so narrow the generator just before each.
http_strategies.headers = _headers_without(FRAMING_HEADERS)

from daphne.tests.test_endpoints import TestCLIInterface, TestEndpointDescriptions  # noqa: E402,F401
from daphne.tests.test_http_request import TestHTTPRequestSpec, TestProxyHandling  # noqa: E402,F401
from daphne.tests.test_http_response import TestHTTPResponse, TestHTTPResponseSpec  # noqa: E402,F401
from daphne.tests.test_utils import (  # noqa: E402,F401
    TestXForwardedForHttpParsing,
    TestXForwardedForWsParsing,
)

http_strategies.headers = _headers_without(HANDSHAKE_HEADERS)

from daphne.tests.test_ws import (  # noqa: E402,F401
    TestHandshake,
    TestSendCloseAccept,
    TestWebSocketProtocol,
)
