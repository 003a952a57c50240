"""Runs INSIDE the rootfs (Debian forky's Python 3.14 and its own Flask/sqlite-utils/pyst2):
the code paths the box uses, with the library versions the box has.  Called by
test_python314.py; prints OK lines and exits non-zero on the first failure."""
import io
import socket
import sys
import tempfile
import threading

assert sys.version_info[:2] >= (3, 14), sys.version

from appliance.store import config, db as store, users  # noqa: E402
from appliance.telephony import agi, render  # noqa: E402

tmp = tempfile.mkdtemp()
db = store.open_db(f"{tmp}/jns.db")
config.seed_demo(db)
config.add_queue(db, "sales", "Sales", members=["102"])  # sqlite-utils of Debian must not commit mid-way
print("OK store", store.schema_version(db))

files = render.render_files(config.snapshot(db), render.Layout(ami_secret="x"))
render.install(files, f"{tmp}/etc")
print("OK render", len(files))

srv = agi.FastAGIServer(("127.0.0.1", 0), agi.Services(db))
threading.Thread(target=srv.serve_forever, daemon=True).start()
with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as s:
    f = s.makefile("rw", encoding="utf-8", newline="\n")
    f.write("agi_request: agi://x/ivr\nagi_network_script: ivr\nagi_arg_1: main\n\n")
    f.flush()
    seen = []
    for reply in ("200 result=0", "200 result=1", "200 result=1", "200 result=1", "200 result=1"):
        line = f.readline().strip()
        if not line:
            break
        seen.append(line)
        f.write(reply + "\n")
        f.flush()
assert 'SET VARIABLE "JNS_ACTION" "queue"' in seen, seen
print("OK fastagi", len(seen))

users.create_user(db, "admin", "a-long-enough-password", "admin")
assert users.authenticate(db, "admin", "a-long-enough-password", "127.0.0.1")
print("OK users")

try:
    from appliance.webui import create_app
except ImportError as exc:  # the panel is optional only while it does not exist
    print("SKIP webui", exc)
else:
    app = create_app(f"{tmp}/jns.db")
    client = app.test_client()
    assert client.get("/login").status_code in (200, 302)
    print("OK webui")

import os  # noqa: E402
import subprocess  # noqa: E402

env = dict(os.environ, JNS_DATA=tmp, JNS_NETWORK_DIR=f"{tmp}/net", JNS_FACTORY_RESET_FLAG=f"{tmp}/no-flag")
out = subprocess.run([sys.executable, "-m", "appliance.console", "apply-network"], env=env,
                     capture_output=True, text=True)
assert out.returncode == 0, out.stdout + out.stderr
assert "DHCP=yes" in open(f"{tmp}/net/10-jns.network").read()
print("OK console")

from asterisk import manager  # noqa: E402,F401  (pyst2 imports on 3.14)
print("OK pyst2")
