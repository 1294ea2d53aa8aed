"""One typed settings object, built once at start-up from CLI flags and ``MOKE_*`` variables.

Every field below is both a ``moke serve --flag`` and a ``MOKE_FLAG`` environment variable;
a flag wins over the variable, the variable over the default. Bad values fail fast with one
line naming the variable. No other module reads ``os.environ``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.errors import ConfigError
from server.proxies import parse_trusted

SUPPORTED_DB_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")
# A wheel carries the built web client inside the package (setup.py copies web/dist there).
PACKAGED_WEB_DIR = Path(__file__).resolve().parent / "web_dist"


def default_web_dir() -> Path:
    """The installed package's client, else ``web/dist`` of the source tree the package sits in.

    Found from this file, never from the working directory, so ``moke serve`` started anywhere
    (systemd, a container, another folder) serves the client it was installed with.
    """
    if (PACKAGED_WEB_DIR / "index.html").is_file():
        return PACKAGED_WEB_DIR
    return PACKAGED_WEB_DIR.parent.parent / "web" / "dist"


def _opt(default: Any, help: str, *, secret: bool = False) -> Any:
    return field(default=default, metadata={"help": help, "secret": secret})


@dataclass(frozen=True)
class Settings:
    """Everything the server can be told. Sections are name prefixes: ``collab_``, ``rooms_``, ``media_``."""

    host: str = _opt("127.0.0.1", "address to listen on")
    port: int = _opt(8080, "TCP port to listen on (0 picks a free one and prints it)")
    data_dir: Path = _opt(
        Path("var"), "directory for the SQLite file, the secret key, recordings and uploads"
    )
    database_url: str = _opt(
        "", "SQLAlchemy URL: sqlite+aiosqlite:///var/moke.db (default) or postgresql+asyncpg://…"
    )
    redis_url: str = _opt("", "Redis URL for multi-process fan-out and shared state; empty = in-process")
    redis_prefix: str = _opt(
        "moke", "prefix for every Redis key and channel (several deployments on one Redis)"
    )
    cluster_node_ttl: float = _opt(
        6.0,
        "seconds after its last heartbeat (sent every third of this) that a server process counts as gone: "
        "its presence entries, collab cursors and venue signals go",
    )
    secret_key: str = _opt(
        "", "key that signs tokens; generated and kept in DATA_DIR/secret_key when empty", secret=True
    )
    public_url: str = _opt(
        "", "external base URL used in invite links (default http://HOST:PORT, https:// with TLS)"
    )
    tls_cert: str = _opt(
        "", "PEM certificate chain: serve HTTPS (browsers give camera and mic only to HTTPS)"
    )
    tls_key: str = _opt("", "PEM private key of TLS_CERT")
    trusted_proxies: str = _opt(
        "",
        "comma-separated reverse-proxy addresses or CIDRs whose X-Forwarded-For / Forwarded is believed; "
        "none by default",
    )
    metrics_allow: str = _opt(
        "127.0.0.0/8, ::1, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7",
        "comma-separated addresses or CIDRs that may read /metrics (a client behind a trusted proxy counts "
        "by its own address); loopback and private networks by default",
    )
    metrics_token: str = _opt(
        "",
        "when set, /metrics also needs `Authorization: Bearer <this>` (Prometheus `authorization`)",
        secret=True,
    )
    token_ttl_seconds: int = _opt(12 * 3600, "lifetime of issued bearer tokens")
    max_request_bytes: int = _opt(
        1024 * 1024, "largest accepted HTTP request body (uploads have their own limit)"
    )
    log_level: str = _opt("INFO", "DEBUG, INFO, WARNING or ERROR")
    log_json: bool = _opt(False, "write logs as one JSON object per line (extra fields become keys)")
    access_log: bool = _opt(
        True, "one log line per HTTP request (logger moke.access): method, path, status, duration, request id"
    )
    web_dir: Path = _opt(
        default_web_dir(), "built browser client to serve at / (default: the one installed with Moke)"
    )
    debug_clock_offset: float = _opt(
        0.0, "tests only: seconds added to this process's clock, to check that a wrong clock is corrected"
    )
    shutdown_timeout: float = _opt(10.0, "seconds to wait for connections and writes on SIGTERM")
    sio_ping_interval: float = _opt(10.0, "seconds between Engine.IO pings to each Socket.IO client")
    sio_ping_timeout: float = _opt(
        10.0, "seconds a Socket.IO client may take to answer a ping before it counts as gone (network loss)"
    )
    sio_user_events: int = _opt(
        30,
        "Socket.IO events of one name per second per user, across all of the user's connections "
        "(and processes, on Redis); each connection also has its own 20 per second",
    )
    conn_per_user: int = _opt(
        30, "Socket.IO connections, and collab connections, one account may hold open at once (per process)"
    )
    conn_per_token: int = _opt(
        10, "Socket.IO connections, and collab connections, one token may hold open at once (per process)"
    )
    # auth: password hashing and log-in throttle
    auth_hash_workers: int = _opt(2, "threads that run Argon2 password hashes (off the event loop)")
    auth_hash_queue: int = _opt(16, "password hashes allowed to wait for a thread; beyond that 429")
    auth_attempts: int = _opt(60, "registrations and failed log-ins per client address per minute")
    # collab: lesson-plan documents
    collab_max_message_bytes: int = _opt(2 * 1024 * 1024, "largest y-websocket message accepted")
    collab_max_doc_bytes: int = _opt(16 * 1024 * 1024, "largest encoded document state accepted")
    collab_rate_messages: int = _opt(200, "y-websocket messages per second allowed per connection")
    collab_unload_after: float = _opt(30.0, "seconds a document with no clients stays in memory")
    collab_compact_after: int = _opt(500, "stored updates per document before the log is compacted")
    # rooms: people, chat, floor
    rooms_default_seats: int = _opt(9, "interactive seats per room unless the room says otherwise")
    rooms_chat_max_chars: int = _opt(2000, "longest chat message")
    rooms_chat_rate: int = _opt(5, "chat messages per user per 5 seconds")
    rooms_voice_max_bytes: int = _opt(2 * 1024 * 1024, "largest voice note upload")
    rooms_voice_max_seconds: float = _opt(120.0, "longest voice note")
    rooms_voice_workers: int = _opt(2, "threads that read uploaded voice notes (a pool of their own)")
    rooms_voice_queue: int = _opt(8, "voice notes allowed to wait for a thread; beyond that 429")
    rooms_voice_check_seconds: float = _opt(
        5.0, "longest time reading one voice note may take; beyond that 422"
    )
    rooms_invite_attempts: int = _opt(10, "invite-code guesses per client address per minute")
    # media: WebRTC
    media_ice_servers: str = _opt(
        "",
        "comma-separated STUN/TURN URLs (turn:user:pass@host:port) for the server's peers; browsers get "
        "only the STUN ones; none by default",
    )
    media_turn_urls: str = _opt(
        "",
        "comma-separated TURN URLs sharing MEDIA_TURN_SECRET (turn:host:3478?transport=udp, "
        "turn:host:443?transport=tcp, turns:host:443?transport=tcp); every client gets its own credentials",
    )
    media_turn_secret: str = _opt(
        "", "shared secret of the TURN server (coturn static-auth-secret with use-auth-secret)", secret=True
    )
    media_turn_ttl: int = _opt(
        6 * 3600, "seconds minted TURN credentials may allocate a relay (a relay allocated in time lasts)"
    )
    media_announced_address: str = _opt(
        "",
        "public IP put in place of the server's own address in its ICE candidates (cloud VM behind 1:1 NAT)",
    )
    media_udp_ports: str = _opt(
        "", "UDP port range of the server's media sockets, LOW-HIGH (e.g. 40000-40999); empty = any port"
    )
    media_fallback_delay: float = _opt(
        3.0, "seconds before the program cuts to the fallback venue on signal loss"
    )
    media_keyframe_interval: float = _opt(0.3, "minimum seconds between keyframe requests to one publisher")
    media_program_codec: str = _opt(
        "video/VP8", "video codec of every room's program feed (video/VP8 or video/H264)"
    )
    media_cut_timeout: float = _opt(
        3.0, "seconds a program cut waits for the new venue's keyframe before keeping the old one"
    )
    media_program_idle: float = _opt(
        60.0, "seconds a room's program feed stays up with no viewer and no live venue before it is freed"
    )
    media_rtp_timeout: float = _opt(5.0, "seconds without media before a publisher counts as gone")
    media_ice_loopback: bool = _opt(
        False, "gather only 127.0.0.1 ICE candidates (tests and single-machine demos; never in deployments)"
    )
    media_max_viewers: int = _opt(500, "most viewer connections one server process accepts")
    media_hls_segment_seconds: float = _opt(1.0, "target length of an HLS segment (大规模直播)")
    media_hls_window: float = _opt(
        30.0, "seconds of HLS segments a live playlist lists and the disk keeps (older ones are deleted)"
    )
    media_hls_grant_ttl: int = _opt(
        3600, "seconds an HLS link stays valid (one to two of these: all viewers share one link per window)"
    )
    # evaluation: notes, scores, reports
    evaluation_note_max_chars: int = _opt(2000, "longest observation note")
    evaluation_comment_max_chars: int = _opt(2000, "longest comment on a score or an evaluation")
    evaluation_moment_seconds: float = _opt(60.0, "width of a bucket on the timeline of tagged moments")
    evaluation_timezone: str = _opt("Asia/Shanghai", "time zone of clock times in evaluation reports")
    # studios: 1 host + N core members + X participants
    studios_max_core: int = _opt(10, "core members (核心成员) a studio may have besides its host")
    studios_max_participants: int = _opt(100, "participants (学员) a studio may have")
    # studios/records: attendance and hours (学时)
    records_merge_gap: float = _opt(
        60.0, "seconds between two stays of one teacher in one activity that still count as one (a reconnect)"
    )
    records_hours_min_ratio: float = _opt(
        0.8, "share of an activity (0..1) a teacher must be present for it to count towards hours (学时)"
    )
    records_hours_credit: str = _opt(
        "activity", "what a counted attendance earns: activity (its whole length) or present (time present)"
    )
    records_hours_step: float = _opt(0.5, "hours are rounded down to a multiple of this (0 = not rounded)")
    # studios: the resource library
    library_max_bytes: int = _opt(200 * 1024 * 1024, "largest file uploaded to a studio's library")

    # ---- derived values -------------------------------------------------------------------------
    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'moke.db'}"

    @property
    def base_url(self) -> str:
        scheme = "https" if self.tls_cert else "http"
        return self.public_url.rstrip("/") or f"{scheme}://{self.host}:{self.port}"

    def with_overrides(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def env_name(name: str) -> str:
    return "MOKE_" + name.upper()


def flag_name(name: str) -> str:
    return "--" + name.replace("_", "-")


def _convert(name: str, kind: Any, raw: str, source: str) -> Any:
    try:
        if kind in (bool, "bool"):
            low = raw.strip().lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(raw)
        if kind in (int, "int"):
            return int(raw)
        if kind in (float, "float"):
            return float(raw)
        if kind in (Path, "Path"):
            return Path(raw)
        return raw
    except ValueError:
        raise ConfigError(f"{source}: {raw!r} is not a valid {getattr(kind, '__name__', kind)}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add one ``--flag`` per settings field, documented with its variable and default."""
    for f in dataclasses.fields(Settings):
        default = "(generated)" if f.name == "secret_key" else repr(f.default)
        parser.add_argument(
            flag_name(f.name),
            dest=f.name,
            default=None,
            metavar=f.name.upper(),
            help=f"{f.metadata['help']} [env {env_name(f.name)}; default {default}]",
        )


def load_settings(
    environ: Mapping[str, str] | None = None,
    cli: Mapping[str, Any] | None = None,
    *,
    ensure_secret: bool = True,
) -> Settings:
    """Build and validate settings; raise :class:`ConfigError` with a one-line message on bad input."""
    environ = os.environ if environ is None else environ
    cli = cli or {}
    values: dict[str, Any] = {}
    known = {env_name(f.name) for f in dataclasses.fields(Settings)}
    for key in environ:
        if key.startswith("MOKE_") and key not in known:
            raise ConfigError(f"{key}: unknown setting (see `moke serve --help`)")
    for f in dataclasses.fields(Settings):
        if cli.get(f.name) is not None:
            values[f.name] = _convert(f.name, f.type, str(cli[f.name]), flag_name(f.name))
        elif env_name(f.name) in environ:
            values[f.name] = _convert(f.name, f.type, environ[env_name(f.name)], env_name(f.name))
    settings = Settings(**values)
    _validate(settings)
    if ensure_secret and not settings.secret_key:
        settings = settings.with_overrides(secret_key=_load_or_create_secret(settings.data_dir))
    return settings


def _validate(s: Settings) -> None:
    if s.database_url:
        scheme = s.database_url.split("://", 1)[0] if "://" in s.database_url else ""
        if scheme not in SUPPORTED_DB_SCHEMES:
            raise ConfigError(
                f"MOKE_DATABASE_URL: unsupported scheme {scheme or s.database_url!r}; "
                "use sqlite+aiosqlite:///path/to/file.db or postgresql+asyncpg://user@host/db"
            )
    if s.redis_url and not s.redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"MOKE_REDIS_URL: {s.redis_url!r} is not a redis:// or rediss:// URL")
    if not 0 <= s.port <= 65535:
        raise ConfigError(f"MOKE_PORT: {s.port} is outside 0..65535")
    if s.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"MOKE_LOG_LEVEL: {s.log_level!r} is not DEBUG, INFO, WARNING or ERROR")
    if s.media_program_codec.lower() not in ("video/vp8", "video/h264"):
        raise ConfigError(
            f"MOKE_MEDIA_PROGRAM_CODEC: {s.media_program_codec!r} is not video/VP8 or video/H264"
        )
    if s.records_hours_credit not in ("activity", "present"):
        raise ConfigError(f"MOKE_RECORDS_HOURS_CREDIT: {s.records_hours_credit!r} is not activity or present")
    if not 0 <= s.records_hours_min_ratio <= 1:
        raise ConfigError("MOKE_RECORDS_HOURS_MIN_RATIO: must be between 0 and 1")
    if s.records_merge_gap < 0 or s.records_hours_step < 0:
        raise ConfigError("MOKE_RECORDS_MERGE_GAP and MOKE_RECORDS_HOURS_STEP: must not be negative")
    _validate_tls(s)
    parse_trusted(s.trusted_proxies)  # raises ConfigError naming a bad entry
    parse_trusted(s.metrics_allow, "MOKE_METRICS_ALLOW")
    positive: Sequence[str] = (
        "cluster_node_ttl",
        "token_ttl_seconds",
        "max_request_bytes",
        "auth_hash_workers",
        "auth_hash_queue",
        "auth_attempts",
        "sio_ping_interval",
        "sio_ping_timeout",
        "sio_user_events",
        "conn_per_user",
        "conn_per_token",
        "collab_max_message_bytes",
        "collab_max_doc_bytes",
        "collab_rate_messages",
        "rooms_default_seats",
        "rooms_chat_max_chars",
        "rooms_chat_rate",
        "rooms_voice_max_bytes",
        "rooms_voice_max_seconds",
        "rooms_voice_workers",
        "rooms_voice_queue",
        "rooms_voice_check_seconds",
        "rooms_invite_attempts",
        "media_turn_ttl",
        "media_hls_segment_seconds",
        "media_hls_window",
        "media_hls_grant_ttl",
        "evaluation_note_max_chars",
        "evaluation_comment_max_chars",
        "evaluation_moment_seconds",
        "studios_max_core",
        "studios_max_participants",
        "library_max_bytes",
    )
    for name in positive:
        if getattr(s, name) <= 0:
            raise ConfigError(f"{env_name(name)}: must be greater than 0")


def _validate_tls(s: Settings) -> None:
    """Both files or neither, and both readable: a typo fails at start, not at the first handshake."""
    if bool(s.tls_cert) != bool(s.tls_key):
        missing = "MOKE_TLS_KEY" if s.tls_cert else "MOKE_TLS_CERT"
        raise ConfigError(f"{missing}: HTTPS needs both MOKE_TLS_CERT and MOKE_TLS_KEY")
    for name in ("tls_cert", "tls_key"):
        path = getattr(s, name)
        if not path:
            continue
        try:
            with open(path, "rb") as fh:
                fh.read(1)
        except OSError as exc:
            raise ConfigError(f"{env_name(name)}: cannot read {path}: {exc.strerror}") from None


def _load_or_create_secret(data_dir: Path) -> str:
    path = data_dir / "secret_key"
    try:
        if path.exists():
            return path.read_text().strip()
        data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
        return key
    except FileExistsError:
        return path.read_text().strip()
    except OSError as exc:
        raise ConfigError(f"MOKE_DATA_DIR: cannot keep the secret key in {path}: {exc.strerror}") from None
