"""JSON Web Token auth for 1.x consumers: tokens, decorators and the drf-jwt style views."""
