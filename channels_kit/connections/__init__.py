"""How every role reaches Redis: URLs (TLS, ACL users), Sentinel, and the errors that mean Redis is away."""
