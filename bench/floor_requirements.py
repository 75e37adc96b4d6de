"""What the floor's POST costs once it does what every wizard submission must do.

`../shared/bench/floor_wizard.py` compares the method step's POST with a floor that reads and
writes one row and answers 303. Every submission of ours must also (issue 14): read the
visitor's signed session cookie, check a CSRF token, validate a form, and send the security
headers. This bench measures those requirements alone, on top of the same floor, under the same
gunicorn and wrk settings, with the floor bench's own helpers (imported, not copied):

    .venv/bin/python bench/floor_requirements.py

Apps, interleaved A B C D, best of two rounds:

- floor POST: the floor bench's app as it is;
- + session: the same, its row's key taken from Flask's signed session cookie;
- + CSRF: also Flask-WTF's CSRFProtect checking a token from that session;
- + form and headers: also a WTForms radio field validated and eight security headers.

The last is the least a submission can cost; the ratio it reaches shows how much of the goal
(at most 1.5 x the floor's p50, at least 0.67 x its throughput) is left for the wizard itself.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

PSQL = shutil.which("psql") or "/usr/bin/psql"  # Debian's PostgreSQL client
FLOOR_BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench" / "floor_wizard.py"

APP = r"""
import os
from flask import Flask, request, session
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect, generate_csrf
from sqlalchemy import create_engine, text
from wtforms import RadioField

engine = create_engine(os.environ["FLOOR_DB"], pool_size=5)
LEVEL = int(os.environ["LEVEL"])  # 1 session, 2 + CSRF, 3 + form and headers
app = Flask("required")
app.config["SECRET_KEY"] = "bench-" + "x" * 40
app.config["WTF_CSRF_ENABLED"] = LEVEL >= 2
if LEVEL >= 2:
    CSRFProtect(app)
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; object-src 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), geolocation=(), microphone=(), payment=(self)",
    "Cross-Origin-Opener-Policy": "same-origin-allow-popups",
    "Cache-Control": "no-store",
    "Vary": "Cookie",
}


class MethodForm(FlaskForm):
    class Meta:
        csrf = False  # CSRFProtect has checked the token already

    method = RadioField(choices=[("card", "Card"), ("sepa_debit", "SEPA Direct Debit")])


if LEVEL >= 3:
    @app.after_request
    def add_headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response


@app.get("/required/<key>")
def start(key):
    session["draft"] = key
    return generate_csrf() if LEVEL >= 2 else "no token"


@app.post("/required/<key>")
def submit(key):
    with engine.begin() as conn:
        conn.execute(text("select key, data from floor_rows where key = :k for update"),
                     {"k": session["draft"]}).one()
        conn.execute(text("update floor_rows set data = :d where key = :k"),
                     {"k": session["draft"], "d": request.form.get("method", "")})
    if LEVEL >= 3 and not MethodForm(request.form).validate():
        return "invalid", 400
    return "", 303, {"Location": f"/required/{key}"}
"""


def floor_bench() -> ModuleType:
    """The shared floor bench as a module, for its helpers."""
    spec = importlib.util.spec_from_file_location("floor_wizard", FLOOR_BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    fw = floor_bench()
    venv_bin = Path.cwd() / ".venv" / "bin"
    db = f"floor_required_{os.getpid()}"
    subprocess.run([PSQL, f"{fw.PG}/postgres", "-qtAc", f"create database {db}"], check=True)
    procs: list[subprocess.Popen[bytes]] = []
    tmp = tempfile.mkdtemp()
    try:
        url = f"{fw.PG}/{db}"
        env = dict(os.environ, FLOOR_DB=url.replace("postgresql://", "postgresql+psycopg://"))
        fw.psql(db, "create table floor_rows (id serial primary key, key text unique, data text)")
        fw.psql(
            db,
            "insert into floor_rows (key, data) select md5(i::text), repeat('x', 40) "
            "from generate_series(1, 1000) i",
        )
        Path(tmp, "floor.py").write_text(fw.FLOOR)
        Path(tmp, "required.py").write_text(APP)
        key = subprocess.run(
            [PSQL, url, "-qtAc", "select key from floor_rows limit 1"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        gun = [
            str(venv_bin / "gunicorn"),
            "--workers",
            "2",
            "--log-level",
            "warning",
            "--chdir",
            tmp,
        ]
        targets: dict[str, tuple[str, str, str]] = {}
        for name, module, level in (
            ("floor POST", "floor", 0),
            ("+ session", "required", 1),
            ("+ CSRF", "required", 2),
            ("+ form and headers", "required", 3),
        ):
            port = fw.free_port()
            procs.append(
                subprocess.Popen(
                    [*gun, "--bind", f"127.0.0.1:{port}", f"{module}:app"],
                    env=dict(env, LEVEL=str(level)),
                    start_new_session=True,
                )
            )
            base = f"http://127.0.0.1:{port}"
            if module == "floor":
                fw.wait(f"{base}/floor/{key}")
                targets[name] = (f"{base}/floor/{key}", "", "data=" + "y" * 40)
                continue
            fw.wait(f"{base}/required/{key}")
            browser = fw.Browser(base)
            token = browser.get(f"/required/{key}")
            body = "method=sepa_debit" + (f"&csrf_token={token}" if level >= 2 else "")
            targets[name] = (f"{base}/required/{key}", browser.cookie(), body)
        seconds = int(os.environ.get("PERF_SECONDS", "6"))
        conns = int(os.environ.get("PERF_CONNS", "4"))
        results: dict[str, list[tuple[float, float, float]]] = {}
        for _ in range(2):
            for name, (target, cookie, body) in targets.items():
                results.setdefault(name, []).append(fw.wrk(target, cookie, seconds, conns, body))
        floor50 = min(r[0] for r in results["floor POST"])
        floor_rps = max(r[2] for r in results["floor POST"])
        for name, rounds in results.items():
            p50, rps = min(r[0] for r in rounds), max(r[2] for r in rounds)
            print(
                f"{name}: p50 {p50:.2f} ms ({p50 / floor50:.2f}x) "
                f"{rps:.0f} req/s ({rps / floor_rps:.2f}x)"
            )
        return 0
    finally:
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            proc.wait(10)
        subprocess.run(
            [PSQL, f"{fw.PG}/postgres", "-qtAc", f"drop database if exists {db} with (force)"],
            capture_output=True,
        )
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
