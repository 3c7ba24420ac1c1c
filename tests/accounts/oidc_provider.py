"""A small OpenID Connect provider for the tests, served by ``http.server`` on 127.0.0.1 in a
thread (no external network): discovery, authorization (redirect with a code), token (an RS256
id_token signed with a key made here), userinfo (JSON, or a signed JWT as ProConnect sends it),
JWKS and end of session (``/logout``: back to ``post_logout_redirect_uri`` with the ``state``).
The test sets ``provider.identity`` (the userinfo claims) and ``provider.id_extra`` (acr, amr…)
before the flow; ``provider.tamper`` alters the next id_token (``nonce``, ``aud``, ``iss``).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

CLIENT_ID = "fjj-test-client"
CLIENT_SECRET = "fjj-test-secret"  # noqa: S105 — the test provider's own


class Provider:
    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "test-key-1"
        self.identity: dict = {}
        self.id_extra: dict = {}
        self.tamper: dict = {}
        self.userinfo_as_jwt = False
        self.codes: dict[str, dict] = {}
        self.tokens: dict[str, dict] = {}
        self.id_tokens: list[str] = []  # issued, in order
        self.requests: list[tuple[str, dict]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # ---- lifecycle -------------------------------------------------------------------------
    def start(self) -> Provider:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        self.identity, self.id_extra, self.tamper = {}, {}, {}
        self.userinfo_as_jwt = False
        self.requests.clear()
        self.id_tokens.clear()

    @property
    def discovery_url(self) -> str:
        return f"{self.base}/.well-known/openid-configuration"

    def discovery(self) -> dict:
        return {
            "issuer": self.base,
            "authorization_endpoint": f"{self.base}/authorize",
            "token_endpoint": f"{self.base}/token",
            "userinfo_endpoint": f"{self.base}/userinfo",
            "jwks_uri": f"{self.base}/jwks",
            "end_session_endpoint": f"{self.base}/logout",
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def sign(self, claims: dict) -> str:
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})

    def jwks(self) -> dict:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    # ---- endpoints -------------------------------------------------------------------------
    def authorize(self, query: dict) -> tuple[int, dict, bytes]:
        if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
            return 400, {}, b"bad request"
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "nonce": query.get("nonce"),
            "redirect_uri": query["redirect_uri"],
            "code_challenge": query.get("code_challenge"),
            "identity": dict(self.identity),
            "id_extra": dict(self.id_extra),
        }
        location = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
        return 302, {"Location": location}, b""

    def token(self, form: dict) -> tuple[int, dict, bytes]:
        grant = self.codes.pop(form.get("code", ""), None)
        ok = (
            grant is not None
            and form.get("client_id") == CLIENT_ID
            and form.get("client_secret") == CLIENT_SECRET
            and form.get("redirect_uri") == grant["redirect_uri"]
            and (grant["code_challenge"] is None or form.get("code_verifier"))
        )
        if not ok:
            return 400, {"Content-Type": "application/json"}, b'{"error": "invalid_grant"}'
        now = int(time.time())
        claims = {
            "iss": self.base,
            "aud": CLIENT_ID,
            "sub": grant["identity"].get("sub", ""),
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            **grant["id_extra"],
            **self.tamper,
        }
        access = secrets.token_urlsafe(16)
        self.tokens[access] = grant["identity"]
        self.id_tokens.append(self.sign(claims))
        body = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": 60,
            "id_token": self.id_tokens[-1],
        }
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()

    def userinfo(self, authorization: str) -> tuple[int, dict, bytes]:
        identity = self.tokens.get(authorization.removeprefix("Bearer ").strip())
        if identity is None:
            return 401, {}, b""
        if self.userinfo_as_jwt:
            claims = {**identity, "iss": self.base, "aud": CLIENT_ID}
            return 200, {"Content-Type": "application/jwt"}, self.sign(claims).encode()
        return 200, {"Content-Type": "application/json"}, json.dumps(identity).encode()

    def logout(self, query: dict) -> tuple[int, dict, bytes]:
        if query.get("id_token_hint") not in self.id_tokens or not query.get("post_logout_redirect_uri"):
            return 400, {}, b"bad request"
        location = f"{query['post_logout_redirect_uri']}?{urlencode({'state': query.get('state', '')})}"
        return 302, {"Location": location}, b""

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, status, headers, body):
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                provider.requests.append((url.path, query))
                if url.path == "/.well-known/openid-configuration":
                    body = json.dumps(provider.discovery()).encode()
                    return self._send(200, {"Content-Type": "application/json"}, body)
                if url.path == "/jwks":
                    return self._send(
                        200, {"Content-Type": "application/json"}, json.dumps(provider.jwks()).encode()
                    )
                if url.path == "/authorize":
                    return self._send(*provider.authorize(query))
                if url.path == "/logout":
                    return self._send(*provider.logout(query))
                if url.path == "/userinfo":
                    return self._send(*provider.userinfo(self.headers.get("Authorization", "")))
                return self._send(404, {}, b"")

            def do_POST(self):
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                provider.requests.append((url.path, form))
                if url.path == "/token":
                    return self._send(*provider.token(form))
                return self._send(404, {}, b"")

        return Handler
