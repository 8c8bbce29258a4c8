"""What the benchmark scripts share: building the release binary into the same target directory
as `.ci/run`, and serving a fresh database with users signed in by API token."""

import contextlib
import json
import os
import subprocess
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The same default as .ci/run, so a benchmark after the tests rebuilds incrementally.
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "coalition-target")


def build():
    """Builds the release binary (quietly, incrementally); returns its path."""
    env = dict(os.environ, CARGO_TARGET_DIR=TARGET)
    subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "cli"], cwd=ROOT, env=env, check=True)
    return os.path.join(TARGET, "release", "coalition")


def add_users(binary, env, users, password="a long enough benchmark password"):
    """Adds each (name, role) and returns {name: API token secret}."""
    tokens = {}
    for name, role in users:
        subprocess.run([binary, "-q", "user", "add", name, "--role", role, "--password-stdin"],
                       env=env, input=password + "\n", text=True, check=True)
        t = subprocess.run([binary, "--json", "user", "token", name], env=env,
                           capture_output=True, text=True, check=True)
        tokens[name] = json.loads(t.stdout)["secret"]
    return tokens


@contextlib.contextmanager
def serving(binary, env, port, stderr=subprocess.DEVNULL):
    """Serves on 127.0.0.1:port until the block ends; yields the process once /health answers."""
    server = subprocess.Popen([binary, "serve", "--bind", f"127.0.0.1:{port}"], env=env,
                              stdout=subprocess.DEVNULL, stderr=stderr, text=True)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield server
    finally:
        if server.poll() is None:
            server.terminate()
        try:
            _, err = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            _, err = server.communicate()
        # What the server wrote to stderr (when asked to keep it), for checks after the block.
        server.log = err or ""
