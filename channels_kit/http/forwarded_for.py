"""The client's address for a WSGI server behind the project's nginx.

nginx overwrites ``X-Forwarded-For`` with the one address it accepted the
connection from (deploy/), and the WSGI server listens on 127.0.0.1 only, so
the header is the client. Without this every request would come from nginx:
the login throttle (login_throttle.py) counts failures per address and would
lock every client out together. Daphne does the same with --proxy-headers.
"""


def client_address_from_proxy(application):
    """Wrap a WSGI ``application``: REMOTE_ADDR becomes the proxy's X-Forwarded-For, when sent."""

    def with_client_address(environ, start_response):
        forwarded = environ.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        if forwarded:
            environ["REMOTE_ADDR"] = forwarded
        return application(environ, start_response)

    return with_client_address
