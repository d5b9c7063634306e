"""The demo store on 127.0.0.1: static pages from sdk/demo, the SDK builds from sdk/dist.

In production the store is static files on S3 behind CloudFront and shoppers
sign in through Cognito's hosted UI. moto's Cognito has no hosted UI, so this
server also offers a same-origin `POST /auth/sign-in` that calls the real
Cognito API (InitiateAuth, USER_PASSWORD_AUTH) against moto and hands the ID
token to the page, which is what the hosted UI's redirect would do.
"""

from __future__ import annotations

import json
import mimetypes
import os
import shutil
import subprocess
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.exceptions import ClientError

from clickstream.clients import CognitoClient
from clickstream.local.settings import LOOPBACK, StackSettings
from clickstream.observability import get_logger
from clickstream.simulation.catalog import DEMO_CATALOG_PATH

logger = get_logger("local-site")

REPO_ROOT = Path(__file__).resolve().parents[3]
SDK_DIR = Path(os.environ.get("CLICKSTREAM_SDK_DIR", REPO_ROOT / "sdk"))
SIGN_IN_PATH = "/auth/sign-in"
CONFIG_PATH = "/config.js"
SDK_URL_PREFIX = "/sdk/"
MAX_SIGN_IN_BODY_BYTES = 4096


def ensure_sdk_built(sdk_dir: Path) -> bool:
    """Build sdk/dist when it is missing (dist is git-ignored); False when it cannot be built."""
    if (sdk_dir / "dist" / "clickstream.full.js").exists():
        return True
    npm = shutil.which("npm")
    if npm is None or not (sdk_dir / "node_modules").is_dir():
        logger.warning("sdk/dist is missing and cannot be built: run `make sdk-deps`")
        return False
    build = subprocess.run(  # noqa: S603
        [npm, "run", "build"], cwd=sdk_dir, capture_output=True, text=True, check=False
    )
    if build.returncode != 0:
        # The store still serves its pages (and the API still works); say why the SDK 404s.
        logger.warning("sdk build failed", stderr=build.stderr[-2000:])
        return False
    return True


def store_config_script(api_url: str, api_key: str, catalog_path: Path) -> bytes:
    """The runtime configuration the store pages read before loading the SDK, with the
    catalogue the simulated shoppers also browse (one file, so both sell the same things)."""
    config = {"endpoint": api_url, "apiKey": api_key}
    catalog = json.loads(catalog_path.read_text(encoding="utf-8"))
    return (
        f"window.STORE_CONFIG = {json.dumps(config)};\n"
        f"window.STORE_CATALOG = {json.dumps(catalog)};\n"
    ).encode()


class SiteHandler(BaseHTTPRequestHandler):
    server_version = "clickstream-demo-store"
    # Set on the subclass that SiteServer builds.
    demo_dir: Path
    dist_dir: Path
    config_script: bytes
    cognito: CognitoClient
    client_id: str

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("site request", line=format % args)

    def _send(
        self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        # A development server: always serve the freshest build.
        self.send_header("cache-control", "no-store")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, status: int, payload: dict[str, Any]) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _resolve(self, url_path: str) -> Path | None:
        """The file a URL path names, or None when it is outside the served folders."""
        if url_path.startswith(SDK_URL_PREFIX):
            root, relative = self.dist_dir, url_path[len(SDK_URL_PREFIX) :]
        else:
            root, relative = self.demo_dir, url_path.lstrip("/") or "index.html"
        candidate = (root / relative).resolve()
        if not candidate.is_relative_to(root.resolve()) or not candidate.is_file():
            return None
        return candidate

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == CONFIG_PATH:
            self._send(HTTPStatus.OK, self.config_script, "text/javascript; charset=utf-8")
            return
        file = self._resolve(path)
        if file is None:
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")
            return
        content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type.endswith("javascript"):
            content_type += "; charset=utf-8"
        self._send(HTTPStatus.OK, file.read_bytes(), content_type)

    do_HEAD = do_GET

    def do_POST(self) -> None:
        if urlsplit(self.path).path != SIGN_IN_PATH:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "not_found"})
            return
        length = int(self.headers.get("content-length") or 0)
        if length <= 0 or length > MAX_SIGN_IN_BODY_BYTES:
            self._send_json(
                HTTPStatus.BAD_REQUEST,
                {"error": "bad_request", "message": "send a small JSON body"},
            )
            return
        try:
            body = json.loads(self.rfile.read(length))
            username, password = str(body["username"]), str(body["password"])
        except (ValueError, KeyError, TypeError):
            self._send_json(
                HTTPStatus.BAD_REQUEST,
                {"error": "bad_request", "message": 'expected {"username": ..., "password": ...}'},
            )
            return
        try:
            result = self.cognito.initiate_auth(
                ClientId=self.client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": password},
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in ("NotAuthorizedException", "UserNotFoundException"):
                self._send_json(
                    HTTPStatus.UNAUTHORIZED,
                    {"error": "not_authorized", "message": "wrong e-mail or password"},
                )
            else:
                logger.exception("cognito sign-in failed", code=code)
                self._send_json(
                    HTTPStatus.BAD_GATEWAY, {"error": "cognito_unavailable", "message": code}
                )
            return
        tokens = result.get("AuthenticationResult") or {}
        if "IdToken" not in tokens:
            # A challenge (new password, MFA) the demo store does not implement.
            self._send_json(
                HTTPStatus.UNAUTHORIZED,
                {"error": "challenge_required", "message": str(result.get("ChallengeName"))},
            )
            return
        self._send_json(HTTPStatus.OK, {"id_token": tokens["IdToken"]})


class SiteComponent:
    """Stack component: the demo store on settings.site_port, which is the API's CORS origin."""

    name = "site"

    def __init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self, settings: StackSettings, env: dict[str, str]) -> dict[str, str]:
        for key in ("API_URL", "API_KEY", "AWS_ENDPOINT_URL", "COGNITO_CLIENT_ID"):
            if not env.get(key):
                raise RuntimeError(f"the demo store needs {key} from an earlier stack component")
        ensure_sdk_built(SDK_DIR)
        cognito = boto3.client(
            "cognito-idp",
            endpoint_url=env["AWS_ENDPOINT_URL"],
            region_name=env.get("AWS_DEFAULT_REGION", settings.region),
            aws_access_key_id=env.get("AWS_ACCESS_KEY_ID"),
            aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY"),
        )
        handler = type(
            "BoundSiteHandler",
            (SiteHandler,),
            {
                "demo_dir": SDK_DIR / "demo",
                "dist_dir": SDK_DIR / "dist",
                "config_script": store_config_script(
                    env["API_URL"], env["API_KEY"], DEMO_CATALOG_PATH
                ),
                "cognito": cognito,
                "client_id": env["COGNITO_CLIENT_ID"],
            },
        )
        self._server = ThreadingHTTPServer((LOOPBACK, settings.site_port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="demo-store", daemon=True
        )
        self._thread.start()
        return {"SITE_URL": settings.site_origin}

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
