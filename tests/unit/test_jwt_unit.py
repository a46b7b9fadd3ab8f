"""JWT tokens, the token decorator and the token views, on the in-memory layer."""
import base64
import datetime
import json
import time

import jwt
from channels.test import ChannelTestCase
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.test import SimpleTestCase, TestCase, override_settings

from channels_kit.client_errors import CLOSE_CODES, ClientError
from channels_kit.jwt import tokens as jwt_tokens
from tests.support.clients import DaphneWSClient

OTHER_KEY = "a-different-secret-key-that-is-long-enough-for-hs256"


def jwt_auth(**changes):
    """override_settings for JWT_AUTH with some keys changed."""
    return override_settings(JWT_AUTH=dict(settings.JWT_AUTH, **changes))


def signed(payload, key=None, algorithm="HS256"):
    return jwt.encode(payload, key or settings.SECRET_KEY, algorithm=algorithm)


def claims(username="alice", expires_in=300, **extra):
    now = int(time.time())
    return dict({"user_id": 1, "username": username, "exp": now + expires_in,
                 "orig_iat": now, "email": ""}, **extra)


def b64(data):
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def unsigned(payload):
    """An ``alg: none`` token: header and payload, empty signature."""
    return "%s.%s." % (b64({"alg": "none", "typ": "JWT"}), b64(payload))


def tampered(token, **changes):
    """``token`` with its payload changed and its original signature kept."""
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data.update(changes)
    return "%s.%s.%s" % (header, b64(data), signature)


def refused_as(testcase, token, error):
    with testcase.assertRaises(ClientError) as caught:
        jwt_tokens.authenticate(token)
    testcase.assertEqual(caught.exception.error, error)


class TokenTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.alice = User.objects.create_user("alice", "alice@example.com", "pw")
        User.objects.create_user("mallory", "", "pw")
        User.objects.create_user("retired", "", "pw", is_active=False)

    def test_issued_token_has_drf_jwt_payload_and_authenticates(self):
        token = jwt_tokens.token_for(self.alice)
        payload = jwt.decode(token, settings.SECRET_KEY, algorithms=["HS256"])
        self.assertEqual(set(payload), {"user_id", "username", "exp", "orig_iat", "email"})
        self.assertEqual((payload["user_id"], payload["username"], payload["email"]),
                         (self.alice.pk, "alice", "alice@example.com"))
        self.assertEqual(jwt.get_unverified_header(token)["alg"], "HS256")
        self.assertEqual(jwt_tokens.authenticate(token), self.alice)

    def test_token_as_drf_jwt_encodes_it_is_accepted(self):
        # drf-jwt's jwt_payload_handler uses a datetime for exp.
        payload = {"user_id": self.alice.pk, "username": "alice", "email": "alice@example.com",
                   "exp": datetime.datetime.utcnow() + datetime.timedelta(minutes=5)}
        self.assertEqual(jwt_tokens.authenticate(signed(payload)), self.alice)

    def test_alg_none_is_refused(self):
        refused_as(self, unsigned(claims()), "token-bad-signature")

    def test_other_algorithm_with_the_right_key_is_refused(self):
        refused_as(self, signed(claims(), algorithm="HS512"), "token-bad-signature")

    def test_other_key_is_refused(self):
        refused_as(self, signed(claims(), key=OTHER_KEY), "token-bad-signature")

    def test_changed_username_breaks_the_signature(self):
        refused_as(self, tampered(signed(claims("mallory")), username="alice"), "token-bad-signature")

    def test_expired_is_refused(self):
        refused_as(self, signed(claims(expires_in=-5)), "token-expired")

    def test_expired_within_leeway_is_accepted_and_beyond_it_refused(self):
        with jwt_auth(JWT_LEEWAY=30):
            self.assertEqual(jwt_tokens.authenticate(signed(claims(expires_in=-5))), self.alice)
            refused_as(self, signed(claims(expires_in=-60)), "token-expired")

    def test_exp_is_required(self):
        payload = claims()
        del payload["exp"]
        refused_as(self, signed(payload), "token-malformed")

    def test_garbage_and_overlong_tokens_are_malformed(self):
        for token in ("garbage", "a.b.c", "%%%.%%%.%%%", "x" * 5000, signed(claims()) + "x" * 4096):
            refused_as(self, token, "token-malformed")

    def test_payload_without_username_is_malformed(self):
        refused_as(self, signed({"exp": int(time.time()) + 60}), "token-malformed")

    def test_unknown_and_inactive_users_are_refused(self):
        refused_as(self, signed(claims("nobody")), "token-unknown-user")
        refused_as(self, signed(claims("retired")), "token-inactive-user")

    def test_audience_and_issuer_when_configured(self):
        with jwt_auth(JWT_AUDIENCE="chat", JWT_ISSUER="example"):
            token = jwt_tokens.token_for(self.alice)
            self.assertEqual(jwt_tokens.authenticate(token), self.alice)
            refused_as(self, signed(claims()), "token-invalid-claim")
            refused_as(self, signed(claims(aud="other", iss="example")), "token-invalid-claim")
            refused_as(self, signed(claims(aud="chat", iss="other")), "token-invalid-claim")

    def test_each_refusal_detail_describes_its_own_cause(self):
        def detail(token):
            with self.assertRaises(ClientError) as caught:
                jwt_tokens.authenticate(token)
            return caught.exception.detail

        no_username = signed({"exp": int(time.time()) + 60})
        expected = {
            "not-a-jwt": "Not a well-formed JWT: not enough segments.",
            unsigned(claims()): "algorithm this server does not accept (it accepts HS256 only)",
            signed(claims(), key=OTHER_KEY): "Signature does not match",
            signed(claims(expires_in=-5)): "Signature has expired.",
            no_username: "Token has no username claim.",
            signed(claims("nobody")): "User doesn't exist.",
        }
        details = {token: detail(token) for token in expected}
        for token, phrase in expected.items():
            with self.subTest(token=token[:20]):
                self.assertIn(phrase, details[token])
        self.assertNotIn("signature", details["not-a-jwt"].lower())
        with jwt_auth(JWT_AUDIENCE="chat", JWT_ISSUER="example"):
            self.assertIn("audience (aud)", detail(signed(claims(aud="other", iss="example"))))
            self.assertIn("issuer (iss)", detail(signed(claims(aud="chat", iss="other"))))
            self.assertIn("no aud claim", detail(signed(claims(iss="example"))))
        self.assertIn("nbf is in the future", detail(signed(claims(nbf=int(time.time()) + 600))))

    def test_rs256_signs_with_private_key_and_verifies_with_public_key(self):
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private_pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption())
        public_pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo)
        with jwt_auth(JWT_ALGORITHM="RS256", JWT_PRIVATE_KEY=private_pem, JWT_PUBLIC_KEY=public_pem):
            self.assertEqual(jwt_tokens.authenticate(jwt_tokens.token_for(self.alice)), self.alice)
            refused_as(self, signed(claims()), "token-bad-signature")  # HS256 with SECRET_KEY

    def test_settings_that_would_accept_forgeries_are_refused(self):
        for changes in ({"JWT_VERIFY": False}, {"JWT_ALGORITHM": "none"}):
            with jwt_auth(**changes), self.assertRaises(ImproperlyConfigured):
                jwt_tokens.decode(signed(claims()))

    def test_refresh_keeps_orig_iat_and_extends_exp(self):
        orig_iat = int(time.time()) - 3600
        old = signed(claims(expires_in=10, orig_iat=orig_iat))
        new = jwt.decode(jwt_tokens.refreshed(old), settings.SECRET_KEY, algorithms=["HS256"])
        self.assertEqual(new["orig_iat"], orig_iat)
        self.assertGreater(new["exp"], int(time.time()) + 200)

    def test_refresh_refused_outside_window_when_expired_or_without_orig_iat(self):
        too_old = int(time.time()) - 8 * 24 * 3600
        cases = [
            (signed(claims(orig_iat=too_old)), "token-expired"),
            (signed(claims(expires_in=-5)), "token-expired"),
            (signed({"username": "alice", "exp": int(time.time()) + 60}), "token-malformed"),
        ]
        for token, error in cases:
            with self.assertRaises(ClientError) as caught:
                jwt_tokens.refreshed(token)
            self.assertEqual(caught.exception.error, error)


class CloseCodeTests(SimpleTestCase):
    def test_every_token_error_has_its_own_43xx_code(self):
        codes = {name: code for name, code in CLOSE_CODES.items() if name.startswith("token-")}
        self.assertEqual(len(set(codes.values())), len(codes))
        self.assertTrue(all(4300 <= code < 4400 for code in codes.values()))


def client():
    return DaphneWSClient(ordered=True)


def refusal(c):
    """The one reply a refused connect gets: accept, error frame, close code."""
    reply = c.get_next_message(c.reply_channel).content
    return json.loads(reply["text"])["error"], reply["close"], reply["accept"]


class DecoratorTests(ChannelTestCase):
    def setUp(self):
        self.alice = User.objects.create_user("alice", "", "pw")
        User.objects.create_user("retired", "", "pw", is_active=False)

    def connect(self, path, c=None, content=None):
        c = c or client()
        c.send_and_consume("websocket.connect", content or {}, path=path, check_accept=False)
        return c

    def test_whoami_knows_the_user_on_connect_and_later_from_the_session(self):
        c = self.connect("/whoami/?token=" + jwt_tokens.token_for(self.alice))
        self.assertEqual(c.receive(json=False), {"accept": True})
        self.assertEqual(c.receive(), {"user": "alice"})
        c.send_and_consume("websocket.receive", {"text": "?"}, path="/whoami/")
        self.assertEqual(c.receive(), {"user": "alice"})

    def test_daphne_bytes_query_string_is_read(self):
        token = jwt_tokens.token_for(self.alice).encode()
        c = self.connect("/whoami/", content={"query_string": b"room=x&token=" + token})
        self.assertEqual(c.receive(json=False), {"accept": True})
        self.assertEqual(c.receive(), {"user": "alice"})

    def test_each_failure_is_accepted_reported_and_closed_with_its_code(self):
        good = jwt_tokens.token_for(self.alice)
        cases = [
            ("", "token-missing"),
            ("?token=", "token-missing"),
            ("?token=%s&token=%s" % (good, good), "token-malformed"),
            ("?token=not-a-jwt", "token-malformed"),
            ("?token=" + "x" * 5000, "token-malformed"),
            ("?token=" + unsigned(claims()), "token-bad-signature"),
            ("?token=" + signed(claims(expires_in=-5)), "token-expired"),
            ("?token=" + signed(claims("nobody")), "token-unknown-user"),
            ("?token=" + signed(claims("retired")), "token-inactive-user"),
        ]
        for query, error in cases:
            with self.subTest(error=error, query=query[:30]):
                c = self.connect("/whoami/" + query)
                self.assertEqual(refusal(c), (error, CLOSE_CODES[error], True))

    def test_refusal_is_logged_at_warning_without_the_token(self):
        token = signed(claims(expires_in=-5))
        with self.assertLogs("channels_kit.jwt.auth", "WARNING") as logs:
            self.connect("/whoami/?token=" + token)
        self.assertIn("token-expired", logs.output[0])
        self.assertNotIn(token, logs.output[0])
        self.assertNotIn(token.split(".")[1], logs.output[0])

    def test_room_messages_carry_the_token_username(self):
        c = self.connect("/chat/lobby/?token=" + jwt_tokens.token_for(self.alice))
        self.assertEqual(c.receive(json=False), {"accept": True})
        c.send_and_consume("websocket.receive", {"text": '{"text": "hi"}'}, path="/chat/lobby/")
        self.assertEqual(c.receive()["user"], "alice")

    def test_room_without_token_keeps_the_session_user(self):
        c = client()
        c.force_login(self.alice)
        self.connect("/chat/lobby/", c)
        self.assertEqual(c.receive(json=False), {"accept": True})
        c.send_and_consume("websocket.receive", {"text": '{"text": "hi"}'}, path="/chat/lobby/")
        self.assertEqual(c.receive()["user"], "alice")

    def test_room_bad_token_is_refused_despite_a_session(self):
        c = client()
        c.force_login(self.alice)
        self.connect("/chat/lobby/?token=" + signed(claims(), key=OTHER_KEY), c)
        self.assertEqual(refusal(c), ("token-bad-signature", 4302, True))


class TokenViewTests(TestCase):
    def setUp(self):
        self.alice = User.objects.create_user("alice", "", "secret-pw")

    def post(self, path, data, as_json=False):
        if as_json:
            return self.client.post(path, json.dumps(data), content_type="application/json")
        return self.client.post(path, data)

    def test_obtain_with_form_and_json(self):
        for as_json in (False, True):
            response = self.post("/api-token-auth/", {"username": "alice", "password": "secret-pw"}, as_json)
            self.assertEqual(response.status_code, 200)
            self.assertEqual(jwt_tokens.authenticate(response.json()["token"]), self.alice)

    def test_obtain_refuses_bad_credentials_and_missing_fields_drf_style(self):
        response = self.post("/api-token-auth/", {"username": "alice", "password": "wrong"})
        self.assertEqual((response.status_code, response.json()),
                         (400, {"non_field_errors": ["Unable to log in with provided credentials."]}))
        response = self.post("/api-token-auth/", {"username": "alice"}, as_json=True)
        self.assertEqual((response.status_code, response.json()),
                         (400, {"password": ["This field is required."]}))
        response = self.client.post("/api-token-auth/", "[1", content_type="application/json")
        self.assertEqual(response.status_code, 400)

    def test_obtain_is_post_only(self):
        self.assertEqual(self.client.get("/api-token-auth/").status_code, 405)

    def test_refresh_returns_a_working_token(self):
        orig_iat = int(time.time()) - 60
        response = self.post("/api-token-refresh/", {"token": signed(claims(orig_iat=orig_iat))})
        self.assertEqual(response.status_code, 200)
        token = response.json()["token"]
        self.assertEqual(jwt_tokens.authenticate(token), self.alice)
        self.assertEqual(jwt_tokens.decode(token)["orig_iat"], orig_iat)

    def test_refresh_refuses_an_expired_token(self):
        response = self.post("/api-token-refresh/", {"token": signed(claims(expires_in=-5))}, as_json=True)
        self.assertEqual((response.status_code, response.json()),
                         (400, {"non_field_errors": ["Signature has expired."]}))
