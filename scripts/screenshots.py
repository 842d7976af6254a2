"""Take the README's screenshots from a running Odoo (the demo): headless Chromium, driven
over the DevTools protocol, logs in through /web/login like a person, opens each screen
and saves it as a PNG.

    python3 scripts/screenshots.py --url http://127.0.0.1:8069 --out docs/screenshots

Run by ``scripts/screenshots``; needs Chromium and websocket-client (a test dependency).
"""

import argparse
import base64
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket

# file name, Odoo action, what must be on the page before it is taken
SHOTS = [
    ("board", "clarus_wms_allocation.sale_order_board_action", ".o_kanban_record"),
    ("dashboard", "clarus_xero_connector.clarus_xero_connection_action_dashboard",
     ".o_action_manager .o_view_controller"),
    ("dashboard-jobs-per-hour", "clarus_xero_connector.clarus_xero_job_action_hourly",
     ".o_graph_renderer canvas"),
    ("error-center", "clarus_xero_connector.clarus_xero_job_action_errors",
     ".o_data_row"),
]


MAX_WIDTH = 2400


class ScreenshotError(Exception):
    pass


class Browser:
    """One headless Chromium page, spoken to over its DevTools websocket."""

    def __init__(self, chromium, width, height):
        self.profile = tempfile.mkdtemp(prefix="clarus-shots-")
        self.process = subprocess.Popen([
            chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
            "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars",
            "--remote-debugging-port=0", "--remote-allow-origins=*",
            f"--user-data-dir={self.profile}", f"--window-size={width},{height}",
            "--force-device-scale-factor=1", "about:blank",
        ], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port = self._devtools_port()
        page = next(t for t in self._targets(port) if t["type"] == "page")
        self.socket = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        self.ids = itertools.count(1)
        self.send("Page.enable")
        self.default_width = width
        self.resize(width, height)

    def resize(self, width, height):
        self.width, self.height = width, height
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=False)

    def _devtools_port(self):
        path = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ScreenshotError("Chromium exited at start (code %s)."
                                      % self.process.returncode)
            if os.path.exists(path):
                with open(path) as handle:
                    first = handle.readline().strip()
                if first:
                    return int(first)
            time.sleep(0.1)
        raise ScreenshotError("Chromium did not open its DevTools port within 30 seconds.")

    @staticmethod
    def _targets(port):
        deadline = time.monotonic() + 10
        while True:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
                targets = json.load(r)
            if any(t["type"] == "page" for t in targets) or time.monotonic() > deadline:
                return targets
            time.sleep(0.1)

    def send(self, method, **params):
        call_id = next(self.ids)
        self.socket.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == call_id:
                if "error" in message:
                    raise ScreenshotError(f"{method}: {message['error'].get('message')}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in result:
            raise ScreenshotError(f"script error: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def wait_for(self, expression, what, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(expression):
                return
            time.sleep(0.25)
        raise ScreenshotError(f"{what} did not appear within {timeout} s "
                              f"(page: {self.evaluate('location.href')}).")

    def open(self, url):
        self.send("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete'", f"the page {url}")

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as handle:
            handle.write(base64.b64decode(data))

    def close(self):
        try:
            self.socket.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            shutil.rmtree(self.profile, ignore_errors=True)


def log_in(browser, url, db, login, password):
    browser.open(f"{url}/web/login" + (f"?db={db}" if db else ""))
    browser.wait_for("!!document.querySelector('form input[name=login]')", "The login form")
    browser.evaluate(
        "(() => { const form = document.querySelector('form input[name=login]').form;"
        f"form.login.value = {json.dumps(login)}; form.password.value = {json.dumps(password)};"
        "form.submit(); })()")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.5)
        state = browser.evaluate(
            "({ready: document.readyState === 'complete', app: !!document.querySelector("
            "'.o_main_navbar'), error: (document.querySelector('.alert-danger') || {})"
            ".innerText || ''})")
        if state["app"]:
            return
        if state["ready"] and state["error"]:
            raise ScreenshotError(f"Logging in as {login} failed: {state['error'].strip()}")
    raise ScreenshotError(f"Logging in as {login} did not open Odoo within 60 s.")


def take(browser, url, out, name, action, ready):
    browser.open(f"{url}/odoo/action-{action}")
    browser.wait_for(f"!!document.querySelector({json.dumps(ready)})", f"The screen {name}")
    # Charts, counters and fonts settle after the records are drawn.
    browser.wait_for("!document.querySelector('.o_loading_indicator, .o_blockUI')",
                     f"The screen {name} (still loading)")
    time.sleep(2)
    # A board wider than the window (one column per stage) is taken whole: the page is
    # widened to its content, up to MAX_WIDTH, and put back afterwards.
    content = browser.evaluate(
        "Math.max(...[...document.querySelectorAll('.o_content, .o_kanban_renderer')]"
        ".map(el => el.scrollWidth), 0)")
    widened = content > browser.width
    if widened:
        browser.resize(min(content + 16, MAX_WIDTH), browser.height)
        time.sleep(1)
    path = os.path.join(out, f"{name}.png")
    browser.screenshot(path)
    if widened:
        browser.resize(browser.default_width, browser.height)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("ODOO_URL", "http://127.0.0.1:8069"))
    parser.add_argument("--db", default=os.environ.get("DB", ""))
    parser.add_argument("--login", default=os.environ.get("ODOO_LOGIN", "admin"))
    parser.add_argument("--password", default=os.environ.get("ODOO_PASSWORD", "admin"))
    parser.add_argument("--out", default="docs/screenshots")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--only", nargs="*", help="names of the screenshots to take")
    args = parser.parse_args(argv)
    if not shutil.which(args.chromium):
        sys.exit(f"Chromium was not found at {args.chromium}; set CHROMIUM=/path/to/chromium.")
    try:
        urllib.request.urlopen(f"{args.url}/web/login", timeout=10).close()
    except OSError as error:
        sys.exit(f"Odoo does not answer at {args.url} ({error}); start the demo "
                 "(bash scripts/demo) or give --url.")
    os.makedirs(args.out, exist_ok=True)
    browser = Browser(args.chromium, args.width, args.height)
    try:
        log_in(browser, args.url, args.db, args.login, args.password)
        for name, action, ready in SHOTS:
            if args.only and name not in args.only:
                continue
            print(take(browser, args.url, args.out, name, action, ready))
    except ScreenshotError as error:
        sys.exit(str(error))
    finally:
        browser.close()


if __name__ == "__main__":
    main()
