"""HTTPS for ``moke serve``: browsers give camera, microphone and voice notes only to secure pages."""

from __future__ import annotations

import ssl

from server.config import Settings
from server.errors import ConfigError


def server_ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """The TLS context for the listening socket, or None when no certificate is configured.

    Raises :class:`ConfigError` naming the setting when the files do not make a certificate and key.
    """
    if not settings.tls_cert:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(settings.tls_cert, settings.tls_key)
    except ssl.SSLError as exc:
        raise ConfigError(
            f"MOKE_TLS_CERT/MOKE_TLS_KEY: {settings.tls_cert} and {settings.tls_key} are not a PEM "
            f"certificate chain and its private key ({exc.reason or exc})"
        ) from None
    except OSError as exc:
        raise ConfigError(f"MOKE_TLS_CERT/MOKE_TLS_KEY: cannot read: {exc.strerror}") from None
    return context
