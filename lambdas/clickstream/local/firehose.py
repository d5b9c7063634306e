"""A local stand-in for Amazon Data Firehose (Direct PUT to S3), for the local stack.

moto's Firehose writes every record straight to S3, without buffering, compression or
the partition prefix, so it cannot stand in for the raw buffer. This one speaks enough
of the Firehose JSON API (PutRecordBatch, PutRecord, DescribeDeliveryStream) for
boto3's firehose client, which the ingest reaches through AWS_ENDPOINT_URL_FIREHOSE
(a per-service endpoint that overrides AWS_ENDPOINT_URL), and delivers like the
terraform module raw_buffer configures Firehose:

- buffers by size and by time (the interval is seconds here, minutes in AWS);
- writes one gzip NDJSON object per buffer into the raw bucket (moto), under the
  partition of the arrival time of the buffer's oldest record
  (`year=YYYY/month=MM/day=DD/hour=HH/`), named as Firehose names objects:
  `<stream>-<version>-YYYY-MM-DD-HH-MM-SS-<id>` plus the file extension `.ndjson.gz`;
- loses nothing it acknowledged: every record is appended to a spool file on disk and
  fsynced BEFORE the answer. A spool segment becomes one object; its key is derived from
  the segment alone, so a segment delivered again after a crash overwrites the same
  object with the same bytes instead of adding a copy. On start, segments a previous
  process left are delivered first. SIGTERM stops taking records and delivers what is
  buffered; SIGKILL leaves the spool, which the next start delivers. (Real Firehose is
  at-least-once; the ETL's event_id dedupe covers a redelivered record either way.)

Run as its own process (`python -m clickstream.local.firehose ...`); the local stack
starts it as a component (FirehoseComponent).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import gzip
import json
import os
import signal
import struct
import subprocess
import sys
import threading
import time
import uuid
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from clickstream.contract.layout import (
    FIREHOSE_OBJECT_VERSION,
    RAW_BUFFER_STREAM_SUFFIX,
    RAW_OBJECT_SUFFIX,
    RAW_PARTITION_FORMAT,
)
from clickstream.local.settings import LOOPBACK, StackSettings, free_port
from clickstream.observability import get_logger

logger = get_logger("local-firehose")

TARGET_PREFIX = "Firehose_20150804."
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
RECORD_MAX_BYTES = 1_000 * 1024
BATCH_MAX_RECORDS = 500
BATCH_MAX_BYTES = 4 * 1024 * 1024
DEFAULT_INTERVAL_S = 5.0
DEFAULT_SIZE_BYTES = 5 * 1024 * 1024
GZIP_LEVEL = 5
# One spool frame: data length, CRC-32 of the data, arrival time (ms since the epoch).
FRAME = struct.Struct(">IIQ")
SEGMENT_SUFFIX = ".spool"
RETRY_DELAY_S = 1.0
LOCAL_STREAM_NAME = f"clickstream-local{RAW_BUFFER_STREAM_SUFFIX}"
READY_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 30.0
INTERVAL_ENV = "FIREHOSE_BUFFER_INTERVAL_SECONDS"


class FirehoseApiError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def object_key(stream: str, first_arrival: datetime, segment_id: str) -> str:
    """Where Firehose would put a buffer whose oldest record arrived at `first_arrival`."""
    partition = RAW_PARTITION_FORMAT.format(
        year=first_arrival.year,
        month=first_arrival.month,
        day=first_arrival.day,
        hour=first_arrival.hour,
    )
    stamp = first_arrival.strftime("%Y-%m-%d-%H-%M-%S")
    return f"{partition}{stream}-{FIREHOSE_OBJECT_VERSION}-{stamp}-{segment_id}{RAW_OBJECT_SUFFIX}"


def read_segment(path: Path) -> list[tuple[bytes, int]]:
    """The complete frames of a spool segment. A torn last frame (the process was killed
    while writing it, so it was never acknowledged) and anything after it are ignored."""
    frames: list[tuple[bytes, int]] = []
    data = path.read_bytes()
    offset = 0
    while offset + FRAME.size <= len(data):
        length, crc, arrival_ms = FRAME.unpack_from(data, offset)
        start = offset + FRAME.size
        payload = data[start : start + length]
        if len(payload) < length or zlib.crc32(payload) != crc:
            logger.warning("torn spool frame ignored", segment=path.name, offset=offset)
            break
        frames.append((payload, arrival_ms))
        offset = start + length
    return frames


class Spool:
    """Append-only segments in one folder; the open one takes records, closed ones wait
    for delivery. Segment names sort by creation time."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._file: Any = None
        self._path: Path | None = None
        self.bytes = 0
        self.first_arrival: float | None = None  # monotonic, for the time trigger

    def leftovers(self) -> list[Path]:
        return sorted(self.directory.glob(f"*{SEGMENT_SUFFIX}"))

    def append(self, records: list[bytes], arrival: datetime) -> None:
        if self._file is None:
            name = f"{time.time_ns():020d}-{uuid.uuid4().hex}{SEGMENT_SUFFIX}"
            self._path = self.directory / name
            self._file = self._path.open("ab")
        arrival_ms = int(arrival.timestamp() * 1000)
        frames = b"".join(
            FRAME.pack(len(data), zlib.crc32(data), arrival_ms) + data for data in records
        )
        self._file.write(frames)
        self._file.flush()
        os.fsync(self._file.fileno())
        self.bytes += sum(len(data) for data in records)
        if self.first_arrival is None:
            self.first_arrival = time.monotonic()

    def rotate(self) -> Path | None:
        """Close the open segment and return it (None when nothing was written)."""
        if self._file is None:
            return None
        self._file.close()
        path = self._path
        self._file = None
        self._path = None
        self.bytes = 0
        self.first_arrival = None
        return path


class DeliveryStream:
    """Buffers records in the spool and delivers closed segments to S3 in order."""

    def __init__(
        self,
        name: str,
        bucket: str,
        s3: Any,
        spool_dir: Path,
        interval_s: float = DEFAULT_INTERVAL_S,
        size_bytes: int = DEFAULT_SIZE_BYTES,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.name = name
        self.bucket = bucket
        self.interval_s = interval_s
        self.size_bytes = size_bytes
        self._s3 = s3
        self._clock = clock
        self._lock = threading.Lock()
        self._spool = Spool(spool_dir)
        # Segments a previous process left behind go first, in their order.
        self._closed: list[Path] = self._spool.leftovers()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="firehose-delivery", daemon=True)
        self.delivered_objects = 0
        self.created = time.time()

    def start(self) -> None:
        if self._closed:
            logger.info("delivering spooled segments of an earlier run", segments=len(self._closed))
        self._thread.start()

    def put(self, records: list[bytes]) -> None:
        """Durable on return: the records are on disk (fsynced)."""
        with self._lock:
            if self._stopping:
                raise FirehoseApiError("ServiceUnavailableException", "the stream is stopping", 503)
            self._spool.append(records, self._clock())
            if self._spool.bytes >= self.size_bytes:
                self._close_segment()

    def _close_segment(self) -> None:
        closed = self._spool.rotate()
        if closed is not None:
            self._closed.append(closed)

    def _due(self) -> bool:
        first = self._spool.first_arrival
        return first is not None and time.monotonic() - first >= self.interval_s

    def _run(self) -> None:
        while True:
            with self._lock:
                if self._due():
                    self._close_segment()
                pending = list(self._closed)
                stopping = self._stopping
            if stopping:
                return
            if pending and not self._deliver_all(pending):
                time.sleep(RETRY_DELAY_S)
                continue
            time.sleep(min(0.1, self.interval_s / 4))

    def _deliver_all(self, segments: list[Path]) -> bool:
        for segment in segments:
            try:
                self._deliver(segment)
            except Exception as error:  # S3 (moto) down: keep the segment, retry later
                logger.error("delivery failed", segment=segment.name, error=str(error))
                return False
            with self._lock:
                self._closed.remove(segment)
        return True

    def _deliver(self, segment: Path) -> None:
        frames = read_segment(segment)
        if frames:
            first = datetime.fromtimestamp(frames[0][1] / 1000, tz=UTC)
            key = object_key(self.name, first, segment.stem.rsplit("-", 1)[-1])
            body = gzip.compress(b"".join(data for data, _ in frames), GZIP_LEVEL, mtime=0)
            self._s3.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentType="application/x-ndjson",
                ContentEncoding="gzip",
            )
            self.delivered_objects += 1
            logger.info("buffer delivered", key=key, records=len(frames))
        segment.unlink()

    def stop(self, attempts: int = 3) -> bool:
        """Refuse new records, deliver everything buffered; True when the spool is empty.
        What cannot be delivered now stays on disk for the next start."""
        with self._lock:
            self._stopping = True
            self._close_segment()
            pending = list(self._closed)
        if self._thread.is_alive():
            self._thread.join(timeout=STOP_TIMEOUT_S)
        with self._lock:
            pending = list(self._closed)  # the thread may have delivered some meanwhile
        for attempt in range(attempts):
            if self._deliver_all(pending):
                return True
            pending = list(self._closed)
            time.sleep(RETRY_DELAY_S * (attempt + 1))
        logger.error("records left in the spool for the next start", segments=len(pending))
        return False

    def describe(self) -> dict[str, Any]:
        arn = f"arn:aws:firehose:us-east-1:000000000000:deliverystream/{self.name}"
        return {
            "DeliveryStreamDescription": {
                "DeliveryStreamName": self.name,
                "DeliveryStreamARN": arn,
                "DeliveryStreamStatus": "ACTIVE",
                "DeliveryStreamType": "DirectPut",
                "VersionId": FIREHOSE_OBJECT_VERSION,
                "CreateTimestamp": self.created,
                "Destinations": [
                    {
                        "DestinationId": "destinationId-000000000001",
                        "ExtendedS3DestinationDescription": {
                            "RoleARN": "arn:aws:iam::000000000000:role/local-firehose",
                            "BucketARN": f"arn:aws:s3:::{self.bucket}",
                            "BufferingHints": {
                                "SizeInMBs": max(1, self.size_bytes // (1024 * 1024)),
                                "IntervalInSeconds": max(0, round(self.interval_s)),
                            },
                            "CompressionFormat": "GZIP",
                            "EncryptionConfiguration": {"NoEncryptionConfig": "NoEncryption"},
                            "FileExtension": RAW_OBJECT_SUFFIX,
                        },
                    }
                ],
                "HasMoreDestinations": False,
            }
        }


def _decode_record(record: Any) -> bytes:
    if not isinstance(record, dict) or not isinstance(record.get("Data"), str):
        raise FirehoseApiError("InvalidArgumentException", "each record needs Data (base64)")
    try:
        data = base64.b64decode(record["Data"], validate=True)
    except (binascii.Error, ValueError) as error:
        raise FirehoseApiError(
            "InvalidArgumentException", f"Data is not base64: {error}"
        ) from error
    if not data or len(data) > RECORD_MAX_BYTES:
        raise FirehoseApiError(
            "InvalidArgumentException",
            f"a record must hold 1 to {RECORD_MAX_BYTES} bytes, not {len(data)}",
        )
    return data


def handle_call(stream: DeliveryStream, target: str, request: Any) -> dict[str, Any]:
    """One Firehose API call: its JSON answer, or FirehoseApiError."""
    if not target.startswith(TARGET_PREFIX):
        raise FirehoseApiError("UnknownOperationException", f"unknown target {target!r}")
    operation = target[len(TARGET_PREFIX) :]
    if not isinstance(request, dict):
        raise FirehoseApiError("SerializationException", "the body must be a JSON object")
    if request.get("DeliveryStreamName") != stream.name:
        raise FirehoseApiError(
            "ResourceNotFoundException",
            f"Firehose {request.get('DeliveryStreamName')!r} under this account is not found.",
        )
    if operation == "DescribeDeliveryStream":
        return stream.describe()
    if operation == "PutRecord":
        data = _decode_record(request.get("Record"))
        stream.put([data])
        return {"RecordId": uuid.uuid4().hex, "Encrypted": False}
    if operation == "PutRecordBatch":
        records = request.get("Records")
        if not isinstance(records, list) or not 1 <= len(records) <= BATCH_MAX_RECORDS:
            raise FirehoseApiError(
                "InvalidArgumentException", f"Records must hold 1 to {BATCH_MAX_RECORDS} records"
            )
        batch = [_decode_record(record) for record in records]
        if sum(len(data) for data in batch) > BATCH_MAX_BYTES:
            raise FirehoseApiError("InvalidArgumentException", "a batch is at most 4 MiB")
        stream.put(batch)
        return {
            "FailedPutCount": 0,
            "Encrypted": False,
            "RequestResponses": [{"RecordId": uuid.uuid4().hex} for _ in batch],
        }
    raise FirehoseApiError("UnknownOperationException", f"{operation} is not supported locally")


class FirehoseServer(ThreadingHTTPServer):
    # Keep-alive connections would hold shutdown forever. A put in flight either took the
    # stream's lock before stop() (then it is spooled and delivered by stop) or is refused.
    daemon_threads = True
    block_on_close = False

    def __init__(self, port: int, stream: DeliveryStream) -> None:
        super().__init__((LOOPBACK, port), _Handler)
        self.stream = stream


class _Handler(BaseHTTPRequestHandler):
    server: FirehoseServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms stall

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length)
        try:
            try:
                request = json.loads(body or b"{}")
            except ValueError as error:
                raise FirehoseApiError("SerializationException", str(error)) from error
            answer = handle_call(self.server.stream, self.headers.get("x-amz-target", ""), request)
            self._send(200, answer)
        except FirehoseApiError as error:
            self._send(error.status, {"__type": error.code, "message": error.message})
        except Exception as error:  # a bug here must still answer, never hang the client
            logger.exception("firehose stand-in failed")
            self._send(500, {"__type": "ServiceUnavailableException", "message": str(error)})

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", JSON_CONTENT_TYPE)
        self.send_header("x-amzn-requestid", str(uuid.uuid4()))
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return


def serve(args: argparse.Namespace) -> int:
    import boto3

    stream = DeliveryStream(
        args.stream,
        args.bucket,
        boto3.client("s3"),
        args.spool_dir,
        interval_s=args.interval,
        size_bytes=args.size_bytes,
    )
    state = {"stop": False}

    def request_stop(_signum: int, _frame: object) -> None:
        state["stop"] = True  # only a flag: the main loop does the work

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    stream.start()
    server = FirehoseServer(args.port, stream)
    threading.Thread(target=server.serve_forever, name="firehose-http", daemon=True).start()
    logger.info("firehose stand-in listening", port=args.port, stream=args.stream)
    while not state["stop"]:
        # The stack died without stopping us (SIGKILL): stop as if it had asked.
        if args.parent_pid and os.getppid() != args.parent_pid:
            logger.warning("parent process gone; stopping")
            break
        time.sleep(0.2)
    server.shutdown()
    server.server_close()
    return 0 if stream.stop() else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--stream", default=LOCAL_STREAM_NAME)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--spool-dir", type=Path, required=True)
    parser.add_argument("--interval", type=float, default=DEFAULT_INTERVAL_S, help="seconds")
    parser.add_argument("--size-bytes", type=int, default=DEFAULT_SIZE_BYTES)
    parser.add_argument("--parent-pid", type=int, default=0, help="stop when it exits")
    args = parser.parse_args(argv)
    if args.interval <= 0 or args.size_bytes <= 0:
        parser.error("--interval and --size-bytes must be positive")
    return args


def spawn(
    port: int,
    bucket: str,
    spool_dir: Path,
    env: dict[str, str],
    stream: str = LOCAL_STREAM_NAME,
    interval_s: float = DEFAULT_INTERVAL_S,
    size_bytes: int = DEFAULT_SIZE_BYTES,
    log: Any = None,
) -> subprocess.Popen[bytes]:
    """Start the stand-in as its own process (what the stack and the crash tests do)."""
    command = [
        sys.executable, "-m", "clickstream.local.firehose",
        "--port", str(port), "--stream", stream, "--bucket", bucket,
        "--spool-dir", str(spool_dir), "--interval", str(interval_s),
        "--size-bytes", str(size_bytes), "--parent-pid", str(os.getpid()),
    ]  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=log, stderr=log)  # noqa: S603 - no shell


def wait_ready(
    process: subprocess.Popen[bytes], endpoint: str, stream: str, env: dict[str, str]
) -> None:
    """Until the stand-in answers DescribeDeliveryStream through boto3."""
    import boto3
    import botocore.config

    client = boto3.client(
        "firehose",
        endpoint_url=endpoint,
        region_name=env.get("AWS_DEFAULT_REGION", "us-east-1"),
        aws_access_key_id=env.get("AWS_ACCESS_KEY_ID", "local"),
        aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY", "local"),
        config=botocore.config.Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the Firehose stand-in exited with {process.returncode}")
        try:
            client.describe_delivery_stream(DeliveryStreamName=stream)
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


class FirehoseComponent:
    """Local-stack component: the stand-in process, and DELIVERY_STREAM_NAME plus the
    firehose endpoint for the ingest (and `clickstream dlq replay`).

    Like a service manager, it starts the process again (same port, same spool) when it
    dies, e.g. after a kill -9; the new process first delivers what the old one had
    spooled. The current process id is in `<state dir>/firehose.pid`."""

    name = "firehose"

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._log: Any = None
        self._stopping = threading.Event()
        self._watchdog: threading.Thread | None = None
        self._lock = threading.Lock()
        self._pid_file: Path | None = None
        self.restarts = 0

    def start(self, settings: StackSettings, env: dict[str, str]) -> dict[str, str]:
        port = free_port()
        # Seconds, not AWS's minutes, so the demo and the dashboards stay live.
        setting = env.get(INTERVAL_ENV) or os.environ.get(INTERVAL_ENV)
        interval = float(setting) if setting else DEFAULT_INTERVAL_S
        if not interval > 0:
            raise ValueError(
                f"{INTERVAL_ENV} must be a positive number of seconds, not {setting!r}"
            )
        spool_dir = settings.state_dir / "firehose-spool"
        log_dir = settings.state_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        self._log = (log_dir / "firehose.log").open("ab")
        self._pid_file = settings.state_dir / "firehose.pid"
        child_env = {**os.environ, **env}
        child_env.pop("AWS_ENDPOINT_URL_FIREHOSE", None)
        endpoint = f"http://{LOOPBACK}:{port}"

        def launch() -> subprocess.Popen[bytes]:
            process = spawn(
                port, env["RAW_BUCKET"], spool_dir, child_env, interval_s=interval, log=self._log
            )
            if self._pid_file is not None:
                self._pid_file.write_text(f"{process.pid}\n", encoding="utf-8")
            return process

        self._process = launch()
        try:
            wait_ready(self._process, endpoint, LOCAL_STREAM_NAME, child_env)
        except BaseException:
            self.stop()
            raise
        self._watchdog = threading.Thread(
            target=self._watch, args=(launch,), name="firehose-watchdog", daemon=True
        )
        self._watchdog.start()
        return {
            "DELIVERY_STREAM_NAME": LOCAL_STREAM_NAME,
            # boto3 sends only firehose calls here; everything else still goes to moto.
            "AWS_ENDPOINT_URL_FIREHOSE": endpoint,
            INTERVAL_ENV: f"{interval:g}",
            "FIREHOSE_SPOOL_DIR": str(spool_dir.resolve()),
        }

    def _watch(self, launch: Callable[[], subprocess.Popen[bytes]]) -> None:
        while not self._stopping.wait(0.2):
            with self._lock:
                process = self._process
                if process is None or process.poll() is None or self._stopping.is_set():
                    continue
                logger.warning("firehose stand-in died; starting it again", code=process.returncode)
                self.restarts += 1
                self._process = launch()

    def stop(self) -> None:
        self._stopping.set()
        if self._watchdog is not None:
            self._watchdog.join(timeout=5)
            self._watchdog = None
        with self._lock:
            process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT_S + 10)
            except subprocess.TimeoutExpired:
                process.kill()  # the spool keeps what it had not delivered
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._pid_file is not None:
            self._pid_file.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(serve(parse_args()))
