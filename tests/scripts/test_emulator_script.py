"""scripts/emulator, which the demo runs first: it starts the Xero emulator with the same
Python and waits for it, and when the emulator does not answer it stops the demo with a
clear message and the log's last lines instead of letting it fail later."""

import os
import re
import signal
import socket
import subprocess
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "emulator"


def run_script(port, log):
    env = dict(os.environ, EMULATOR_PORT=str(port), EMULATOR_LOG=str(log))
    return subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True,
                          timeout=60)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_port_held_by_something_silent_stops_the_demo_with_the_log(tmp_path):
    # Something that accepts connections and never answers: the worst case for a wait.
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen(5)
        port = squatter.getsockname()[1]
        result = run_script(port, tmp_path / "emulator.log")

    assert result.returncode == 1
    assert f"did not answer on http://127.0.0.1:{port}; the demo stops here" in result.stderr
    assert "Address already in use" in result.stderr, "the log's last lines say why"
    assert f"If port {port} is taken" in result.stderr


def test_the_emulator_starts_answers_and_is_reused(tmp_path):
    port = free_port()
    started = run_script(port, tmp_path / "emulator.log")
    pid = int(re.search(r"\(process (\d+)\)", started.stdout).group(1))
    try:
        assert started.returncode == 0, started.stderr
        tenants = requests.get(f"http://127.0.0.1:{port}/_emulator/tenants", timeout=5)
        assert tenants.status_code == 200
        again = run_script(port, tmp_path / "again.log")
        assert again.returncode == 0
        assert "already answers" in again.stdout
        assert not (tmp_path / "again.log").exists(), "no second emulator was started"
    finally:
        os.kill(pid, signal.SIGTERM)
