"""Caller authentication, done in the handler so it is identical locally and on AWS.

Signed-in shoppers send a Cognito ID token, verified against the user pool's
JWKS; anonymous shoppers send the site key. API Gateway HTTP APIs have no API
keys, and a JWT authorizer would refuse anonymous shoppers, so the route is
open at the gateway and this module decides.

A token that fails (expired: ID tokens live an hour; unverifiable; the JWKS endpoint
down) next to a valid site key is not a reason to lose the shopper's events: the batch
is stored as anonymous (`Caller.downgraded` says why). Only a request without any valid
credential is refused.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

import jwt

# Only RS256: Cognito signs with it, and a fixed list is what defeats `alg: none`
# and the RS/HS confusion attack (an HS256 token "signed" with the public key).
ALLOWED_ALGORITHMS = ("RS256",)
CLOCK_SKEW_LEEWAY_S = 60
JWKS_CACHE_LIFESPAN_S = 3600
DEFAULT_JWKS_TIMEOUT_S = 2.0


class AuthenticationError(Exception):
    """Missing or invalid credentials; `code` is the machine-readable reason."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Caller:
    method: str  # "site_key" or "cognito"
    user_id: str | None
    # Why a token sent with a valid site key was not used ("token_expired", ...), or None.
    downgraded: str | None = None


class CognitoVerifier:
    """Verifies Cognito ID tokens; the JWKS is fetched once and cached per process."""

    def __init__(
        self,
        issuer: str,
        client_id: str,
        jwks_url: str,
        timeout_s: float = DEFAULT_JWKS_TIMEOUT_S,
    ) -> None:
        self.issuer = issuer
        self.client_id = client_id
        # The timeout bounds what a JWKS outage adds to a request (the Lambda has 10 s).
        self._jwks = jwt.PyJWKClient(
            jwks_url, cache_keys=True, lifespan=JWKS_CACHE_LIFESPAN_S, timeout=timeout_s
        )

    def verify(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") not in ALLOWED_ALGORITHMS:
                raise AuthenticationError(
                    "invalid_token", f"token algorithm {header.get('alg')!r} is not allowed"
                )
            signing_key = self._jwks.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                signing_key.key,
                algorithms=list(ALLOWED_ALGORITHMS),
                audience=self.client_id,
                issuer=self.issuer,
                leeway=CLOCK_SKEW_LEEWAY_S,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except AuthenticationError:
            raise
        except jwt.ExpiredSignatureError as error:
            raise AuthenticationError("token_expired", "the ID token has expired") from error
        except jwt.PyJWKClientConnectionError as error:
            raise AuthenticationError(
                "jwks_unavailable", "the token signing keys cannot be fetched"
            ) from error
        except jwt.PyJWTError as error:
            raise AuthenticationError(
                "invalid_token", f"the ID token is invalid: {error}"
            ) from error
        if claims.get("token_use") != "id":
            raise AuthenticationError("invalid_token", "an ID token is required (token_use=id)")
        return claims


class Authenticator:
    def __init__(self, site_keys: tuple[str, ...], verifier: CognitoVerifier | None) -> None:
        self._site_keys = tuple(key.encode() for key in site_keys if key)
        self._verifier = verifier

    def _is_site_key(self, candidate: str) -> bool:
        encoded = candidate.encode()
        # Compare against every key so the time taken does not reveal which one matched.
        matches = [hmac.compare_digest(encoded, key) for key in self._site_keys]
        return any(matches)

    def authenticate(
        self, authorization: str | None, api_key: str | None, envelope: dict[str, Any] | None
    ) -> Caller:
        """Headers first; the batch envelope's `id_token` / `api_key` serve sendBeacon,
        which cannot set headers."""
        token: str | None = None
        token_problem: AuthenticationError | None = None
        if authorization:
            scheme, _, value = authorization.partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                token_problem = AuthenticationError(
                    "invalid_authorization", "Authorization must be 'Bearer <ID token>'"
                )
            else:
                token = value.strip()
        elif not api_key and envelope is not None:
            token = _string_or_none(envelope.get("id_token"))
            api_key = _string_or_none(envelope.get("api_key"))
        if token:
            try:
                if self._verifier is None:
                    raise AuthenticationError("invalid_token", "signed-in calls are not configured")
                claims = self._verifier.verify(token)
                return Caller(method="cognito", user_id=str(claims["sub"]))
            except AuthenticationError as error:
                token_problem = error
        if api_key:
            if self._is_site_key(api_key):
                return Caller(
                    method="site_key",
                    user_id=None,
                    downgraded=token_problem.code if token_problem else None,
                )
            raise AuthenticationError("invalid_api_key", "the site key is not valid")
        if token_problem:
            raise token_problem
        raise AuthenticationError(
            "missing_credentials", "send x-api-key: <site key> or Authorization: Bearer <ID token>"
        )


def _string_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
