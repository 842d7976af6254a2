"""The console entry point starts a working server."""

import socket
import subprocess
import sys
import time

import requests


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_python_m_starts_server_with_options():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "clarus_xero_emulator", "--port", str(port),
                             "--empty", "--minute-limit", "7"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base = "http://127.0.0.1:%d" % port
        deadline = time.time() + 10
        while True:
            try:
                health = requests.get(base + "/_emulator/health", timeout=1)
                break
            except requests.ConnectionError:
                assert time.time() < deadline, proc.stderr.read() if proc.poll() else "timeout"
                time.sleep(0.05)
        assert health.json() == {"ok": True}
        assert requests.get(base + "/_emulator/tenants", timeout=2).json()["tenants"] == []
        assert requests.get(base + "/_emulator/config", timeout=2).json()["minute_limit"] == 7
    finally:
        proc.terminate()
        proc.wait(timeout=10)
