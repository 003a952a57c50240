"""The panel of a box in qemu, used over HTTPS like an admin's browser would (cookies, the
CSRF token from the page, raw-body uploads as the System page's script sends them)."""
from __future__ import annotations

import http.cookiejar
import json
import re
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path


class Panel:
    def __init__(self, url: str):
        self.url = url
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE          # the box's own self-signed certificate
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=ctx),
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def _open(self, req, timeout: float = 120) -> tuple[int, bytes, str]:
        try:
            with self.opener.open(req, timeout=timeout) as r:
                return r.status, r.read(), r.geturl()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(), exc.geturl()

    def get(self, path: str) -> tuple[int, str]:
        status, body, _ = self._open(self.url + path)
        return status, body.decode(errors="replace")

    def csrf(self, path: str) -> str:
        _status, html = self.get(path)
        return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)

    def post(self, path: str, fields: dict, token_from: str) -> tuple[int, str, str]:
        """(status, body, the URL it ended on after redirects)."""
        fields = {"csrf_token": self.csrf(token_from), **fields}
        req = urllib.request.Request(self.url + path, method="POST",
                                     data=urllib.parse.urlencode(fields).encode())
        status, body, url = self._open(req)
        return status, body.decode(errors="replace"), url

    def put_file(self, path: str, file: Path, token_from: str = "/admin/system/") -> dict:
        token = self.csrf(token_from)
        with open(file, "rb") as fh:
            req = urllib.request.Request(
                self.url + path, data=fh, method="PUT",
                headers={"Content-Type": "application/octet-stream", "X-CSRF-Token": token,
                         "Content-Length": str(file.stat().st_size)})
            status, body, _ = self._open(req, timeout=1800)
        assert status == 200, body[:500]
        answer = json.loads(body)
        assert answer["size"] == file.stat().st_size
        return answer

    def download(self, path: str) -> bytes:
        status, body, _ = self._open(self.url + path, timeout=600)
        assert status == 200, body[:300]
        return body

    def setup_or_login(self, username: str, password: str) -> None:
        """First visit of a box without users: the setup page; else the login page."""
        _status, html = self.get("/")
        if "password2" in html:
            self.post("/setup", {"username": username, "password": password,
                                 "password2": password}, "/setup")
        else:
            self.post("/login", {"username": username, "password": password, "next": "/"},
                      "/login")

    def logged_in_as_admin(self) -> bool:
        status, html = self.get("/admin/system/")
        return status == 200 and "firmware" in html.lower()

    def wait_job(self, job_url: str, timeout: float = 900) -> dict:
        """A backup or restore job of the System page, polled until it ends."""
        job_path = urllib.parse.urlparse(job_url).path
        deadline = time.monotonic() + timeout
        while True:
            _status, body = self.get(job_path + "/status")
            job = json.loads(body)
            if job["state"] != "running" or time.monotonic() > deadline:
                return job
            time.sleep(2)
