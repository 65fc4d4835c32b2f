"""nginx as the benchmark's static server: a child process with a generated config, 127.0.0.1 only.

ETag and Last-Modified on every file (nginx defaults), `if_modified_since exact`, precompressed `.gz` twins
served by gzip_static (on-the-fly gzip as a fallback), content types by extension, an access log of
status and bytes so each phase can be checked (requests, 304s) from the server's side.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections import Counter
from pathlib import Path

from .corpus import CONTENT_TYPES

NGINX_CANDIDATES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")


def find_nginx() -> str | None:
    found = shutil.which("nginx")
    if found:
        return found
    return next((c for c in NGINX_CANDIDATES if os.access(c, os.X_OK)), None)


def ensure_nginx(install: bool = True) -> str:
    """The nginx binary; installs Debian's nginx-light (or nginx) when missing and allowed."""
    found = find_nginx()
    if found:
        return found
    if not install:
        raise RuntimeError("nginx not found (install it, e.g. apt-get install nginx-light)")
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise RuntimeError("nginx not found and cannot be installed here (needs root and apt-get)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    print("bench: installing nginx (apt-get install nginx-light)", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env, stdout=subprocess.DEVNULL)
    for package in ("nginx-light", "nginx"):
        done = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", package], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        if done.returncode == 0 and find_nginx():
            return find_nginx()  # type: ignore[return-value]
    raise RuntimeError("could not install nginx with apt-get")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Nginx:
    def __init__(self, root: Path, workdir: Path, port: int, binary: str) -> None:
        self.root = root
        self.workdir = workdir
        self.port = port
        self.binary = binary
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / "access.log"
        self._log_offset = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def config_text(self) -> str:
        types = "\n".join(f"        {ctype} {ext};" for ext, ctype in CONTENT_TYPES.items())
        work = self.workdir
        # as root, workers would run as nobody and could not read a private temp dir
        user = "user root;" if os.geteuid() == 0 else ""
        return f"""
{user}
daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile 65536;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    types {{
{types}
    }}
    default_type application/octet-stream;
    client_body_temp_path {work}/tmp-body;
    proxy_temp_path {work}/tmp-proxy;
    fastcgi_temp_path {work}/tmp-fastcgi;
    uwsgi_temp_path {work}/tmp-uwsgi;
    scgi_temp_path {work}/tmp-scgi;
    log_format bench '$status $body_bytes_sent';
    access_log {self.log_path} bench buffer=64k flush=1s;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 75s;
    keepalive_requests 100000;
    open_file_cache max=8000 inactive=120s;
    etag on;
    if_modified_since exact;
    gzip_static on;
    gzip on;
    gzip_vary on;
    gzip_types application/rss+xml application/atom+xml application/feed+json application/rdf+xml text/plain;
    server {{
        listen 127.0.0.1:{self.port} reuseport;
        root {self.root};
        index index.html;
        location / {{ try_files $uri $uri/ =404; }}
        # the sustained phase rewrites these feeds while nginx serves them: no cached size and mtime
        location /sustained/ {{ open_file_cache off; }}
    }}
}}
"""

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        conf = self.workdir / "nginx.conf"
        conf.write_text(self.config_text())
        self.process = subprocess.Popen(
            [self.binary, "-c", str(conf), "-p", str(self.workdir), "-e", str(self.workdir / "error.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
                raise RuntimeError(f"nginx exited at start: {err.strip()}")
            try:
                with urllib.request.urlopen(self.base_url + "/robots.txt", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not answer within 10 s")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()  # SIGTERM: fast shutdown of master and worker
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def mark(self) -> None:
        """Start counting requests from here (see `requests_since_mark`)."""
        time.sleep(1.1)  # the access log is flushed every second
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0

    def requests_since_mark(self) -> dict[str, object]:
        """Requests by status and bytes sent since the last `mark`, from the access log."""
        time.sleep(1.1)
        statuses: Counter[str] = Counter()
        sent = 0
        if self.log_path.exists():
            with self.log_path.open("rb") as log:
                log.seek(self._log_offset)
                for line in log:
                    parts = line.split()
                    if len(parts) == 2:
                        statuses[parts[0].decode()] += 1
                        sent += int(parts[1])
        unexpected = sum(n for status, n in statuses.items() if status not in ("200", "304"))
        return {"requests": sum(statuses.values()), "by_status": dict(sorted(statuses.items())), "bytes": sent,
                "unexpected": unexpected}

    def __enter__(self) -> Nginx:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
