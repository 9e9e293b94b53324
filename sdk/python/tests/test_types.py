"""The public API is typed: mypy --strict (for Python 3.9) passes on the package, when mypy is installed
(Debian: apt-get install python3-mypy). Skipped otherwise, naming what is missing."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from typing import Optional

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _python_with_mypy() -> "Optional[str]":
    for py in (sys.executable, shutil.which("python3"), "/usr/bin/python3"):
        if py and os.path.exists(py):
            if subprocess.run([py, "-c", "import mypy"], capture_output=True).returncode == 0:
                return py
    return None


class TypingTests(unittest.TestCase):
    def test_mypy_strict(self) -> None:
        py = _python_with_mypy()
        if py is None:
            self.skipTest("mypy not installed (apt-get install python3-mypy)")
        cache = os.path.join(tempfile.gettempdir(), "agentops-sdk-mypy-cache")
        proc = subprocess.run([py, "-m", "mypy", "--python-version", "3.9", "--strict", "--cache-dir", cache,
                               "agentops"], cwd=ROOT, capture_output=True, text=True, timeout=300)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)


if __name__ == "__main__":
    unittest.main()
