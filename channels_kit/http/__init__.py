"""HTTP served by the split: the answering view consumer, JSON bodies, request limits, the client address behind nginx, security headers and the login throttle."""
