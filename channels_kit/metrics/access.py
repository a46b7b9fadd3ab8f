"""Who may read ``/metrics``: loopback, the addresses settings name, or the bearer token.

Metrics tell an attacker how loaded the service is and which consumers are
slow, so the endpoint is not public. Prometheus on the same host scrapes
over loopback; a remote one is named by address (``METRICS_ALLOWED_IPS``)
or presents ``Authorization: Bearer <METRICS_TOKEN>``.
"""
import hmac
import ipaddress


def is_loopback(address):
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def presented_token(request):
    scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def may_read(request, allowed_ips=(), token=""):
    """True for loopback, a listed address, or the right bearer token (compared in constant time)."""
    address = request.META.get("REMOTE_ADDR", "")
    if is_loopback(address) or address in allowed_ips:
        return True
    presented = presented_token(request)
    return bool(token) and bool(presented) and hmac.compare_digest(presented.encode(), token.encode())
