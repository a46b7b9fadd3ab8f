"""daphne 1.4.2's own test suite, as shipped inside the package, on this stack.

The classes are imported here so pytest collects them with the rest of the
suite; hypothesis_compat adapts two hypothesis arguments removed since.
"""
from tests import hypothesis_compat

hypothesis_compat.install()

from daphne.tests.test_endpoints import TestCLIInterface, TestEndpointDescriptions  # noqa: E402,F401
from daphne.tests.test_http_request import TestHTTPRequestSpec, TestProxyHandling  # noqa: E402,F401
from daphne.tests.test_http_response import TestHTTPResponse, TestHTTPResponseSpec  # noqa: E402,F401
from daphne.tests.test_utils import (  # noqa: E402,F401
    TestXForwardedForHttpParsing,
    TestXForwardedForWsParsing,
)
from daphne.tests.test_ws import (  # noqa: E402,F401
    TestHandshake,
    TestSendCloseAccept,
    TestWebSocketProtocol,
)
