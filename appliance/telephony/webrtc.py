"""Asterisk's side of the panel's browser softphone (agents.phone = 'webrtc').

The browser registers over a SIP WebSocket served by Asterisk's own HTTP server (ws on
127.0.0.1 in tests and on the host, wss with the panel's certificate on the box) and sends
media as DTLS-SRTP with ICE, AVPF and rtcp-mux: pjsip's `webrtc = yes`.  This module only
returns lines for render.py (pjsip.conf sections, http.conf); it never talks to Asterisk.
"""
from __future__ import annotations



def enabled(lay) -> bool:
    """True when Asterisk serves a SIP WebSocket at all (Layout.http_port/https_port)."""
    return bool(lay.http_port or lay.https_port)


def http_conf(lay) -> list[tuple[str, list[tuple[str, object]]]]:
    """http.conf: off unless the layout names a port; TLS only with a certificate."""
    if not enabled(lay):
        return [("general", [("enabled", "no")])]
    items: list[tuple[str, object]] = [("enabled", "yes"), ("servername", "JNS Call Center")]
    if lay.http_port:    # plain: loopback only (tests, the host, local status)
        items += [("bindaddr", "127.0.0.1"), ("bindport", lay.http_port)]
    if lay.https_port:   # the box: browsers on the LAN, the panel's certificate
        items += [("tlsenable", "yes"), ("tlsbindaddr", f"{lay.sip_bind}:{lay.https_port}"),
                  ("tlscertfile", lay.https_cert), ("tlsprivatekey", lay.https_key),
                  # a page to open once to accept the self-signed certificate (softphone.js)
                  ("enable_status", "yes")]
    return [("general", items)]


def transports(lay) -> list[tuple[str, list[tuple[str, object]]]]:
    """The ws/wss transports (pjsip allows one of each; their bind is the HTTP server's)."""
    if not enabled(lay):
        return []
    out = []
    if lay.http_port:
        out.append(("ws", [("type", "transport"), ("protocol", "ws"), ("bind", "0.0.0.0")]))
    if lay.https_port:
        out.append(("wss", [("type", "transport"), ("protocol", "wss"), ("bind", "0.0.0.0")]))
    return out


def endpoint_options(common: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """A browser agent's endpoint options in place of a SIP phone's `common` ones.

    No fixed transport (replies go back over the browser's WebSocket), no media_address
    (ICE offers the box's own addresses), opus first, DTMF as RFC 4733 (RTCDTMFSender).
    """
    dropped = {"allow", "transport", "media_address", "bind_rtp_to_media_address"}
    kept = [(k, v) for k, v in common if k not in dropped]
    return kept + [("allow", "opus,ulaw,alaw"), ("webrtc", "yes"),
                   ("dtls_auto_generate_cert", "yes"), ("ice_support", "yes"),
                   ("use_avpf", "yes"), ("rtcp_mux", "yes"), ("media_encryption", "dtls"),
                   ("dtls_verify", "fingerprint"), ("dtls_setup", "actpass")]


def aor_options() -> list[tuple[str, object]]:
    """One browser tab at a time: a new registration replaces the old; no static contact."""
    return [("max_contacts", 1), ("remove_existing", "yes"), ("qualify_frequency", 0)]
