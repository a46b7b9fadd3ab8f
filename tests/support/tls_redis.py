"""A TLS-only redis-server with an ACL user, and the certificates it needs, made here.

Debian's redis-server is built with TLS; the embedded one is not. The server
listens on a TLS port only, asks clients for a certificate (mutual TLS), and
knows one user for the split, allowed the kit's keys alone (and one admin
for the tests); the default user is off, as on a managed Redis.
"""
import datetime
import ipaddress
import os
import shlex

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from channels_kit.connections import redis_urls
from channels_kit.testing.split import Process, free_port, port_open, wait_for
from tests.conftest import require_tool

USER = "chan"
PASSWORD = "tls-test-password-9f3c"
# The layer's keys (asgi:, its markers included; asgi-meta:, its counters), the channel
# sessions' and the login throttle's; every channel for the layer's pub/sub.
# A second user, for the tests alone: it changes the first one's password.
ADMIN, ADMIN_PASSWORD = "admin", "tls-test-admin-51aa"
KEYS = ("~asgi:*", "~asgi-meta:*", "~channel-session:*", "~login-throttle:*", "&*")


def debian_redis_server():
    path = "/usr/bin/redis-server"
    return require_tool("Debian's redis-server (built with TLS)", path if os.access(path, os.X_OK)
                        else None, "apt-get install redis-server")


def _name(common):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _write(path, key, cert):
    with open(path + ".key", "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    with open(path + ".crt", "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))


def _certificate(subject, key, issuer, issuer_key, ca=False, ip=None):
    """A certificate as strict verification wants it (Python 3.13 turns X509_STRICT on).

    Key identifiers on every certificate and key usages that say what each
    is for: without them OpenSSL's strict mode refuses the chain ("Missing
    Authority Key Identifier"), as it would a managed service's.
    """
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                              critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                   issuer_key.public_key()), critical=False)
               .add_extension(_usage(ca), critical=True))
    if not ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage(
            [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    if ip:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _usage(ca):
    return x509.KeyUsage(digital_signature=not ca, content_commitment=False,
                         key_encipherment=False, data_encipherment=False,
                         key_agreement=not ca, key_cert_sign=ca, crl_sign=ca,
                         encipher_only=False, decipher_only=False)


def make_certificates(directory, name="ca"):
    """A CA (``<name>.crt``), a server certificate for 127.0.0.1 and a client one, signed by it."""
    ca_key = _key()
    ca_cert = _certificate(name, ca_key, name, ca_key, ca=True)
    _write(os.path.join(directory, name), ca_key, ca_cert)
    for role, ip in (("server", "127.0.0.1"), ("client", None)):
        key = _key()
        _write(os.path.join(directory, "%s-%s" % (name, role)), key,
               _certificate(role, key, name, ca_key, ip=ip))
    return {kind: os.path.join(directory, "%s-%s" % (name, kind)) for kind in ("server", "client")}


def tls_options(port, cert, ca):
    """A redis-server's TLS-only listener on 127.0.0.1, asking clients for certificates."""
    return ["--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1",
            "--tls-cert-file", cert + ".crt", "--tls-key-file", cert + ".key",
            "--tls-ca-cert-file", ca, "--tls-auth-clients", "yes"]


def server_args(binary, port, cert, ca, data):
    """A TLS-only redis-server knowing the split's user and the admin alone, keeping nothing."""
    return [binary, *tls_options(port, cert, ca),
            "--save", "", "--appendonly", "no", "--dir", data,
            "--user", "default", "off",
            "--user", USER, "on", ">" + PASSWORD, *KEYS, "+@all", "-@dangerous",
            "--user", ADMIN, "on", ">" + ADMIN_PASSWORD, "~*", "&*", "+@all"]


class TlsRedis:
    """Debian's redis-server on a TLS port only, with certificates from ``directory``."""

    def __init__(self, directory, log_dir):
        self.binary = debian_redis_server()
        self.directory = str(directory)
        self.certs = make_certificates(self.directory)
        self.ca = os.path.join(self.directory, "ca.crt")
        self.port = free_port()
        data = os.path.join(self.directory, "data")
        os.makedirs(data, exist_ok=True)
        args = server_args(self.binary, self.port, self.certs["server"], self.ca, data)
        self.process = Process("tls-redis", shlex.join(args), dict(os.environ),
                               os.path.join(log_dir, "tls-redis.log"), self.directory)

    def url(self, password=PASSWORD, ca=None, user=USER):
        """The layer's rediss:// URL: this server, the ACL user, mutual TLS."""
        client = self.certs["client"]
        return ("rediss://%s:%s@127.0.0.1:%d/0?ssl_ca_certs=%s&ssl_certfile=%s&ssl_keyfile=%s"
                "&ssl_cert_reqs=required" % (user, password, self.port, ca or self.ca,
                                             client + ".crt", client + ".key"))

    def admin(self):
        """A client logged in as the test's admin user."""
        return redis_urls.client(self.url(password=ADMIN_PASSWORD, user=ADMIN))

    def start(self, timeout=30):
        self.process.start()
        wait_for(lambda: port_open(self.port), timeout, "the TLS redis-server")
        return self

    def stop(self):
        self.process.stop()


def stranger_ca(directory):
    """A CA that signed nothing the server shows: a client trusting only it must refuse the server."""
    os.makedirs(directory, exist_ok=True)
    make_certificates(str(directory), name="stranger")
    return os.path.join(str(directory), "stranger.crt")
