"""A last-resort wheel builder (standard library only) for machines without `build` and `wheel`: agentops is pure
Python, so its wheel is a zip of the package plus the .dist-info files (PEP 427). Used by pack.sh only when neither
`python3 -m build` nor `pip wheel` can run."""
import base64
import hashlib
import os
import re
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))


def project() -> dict:
    text = open(os.path.join(HERE, "pyproject.toml"), encoding="utf-8").read()
    get = lambda key: re.search(r'^%s\s*=\s*"([^"]*)"' % key, text, re.M).group(1)  # noqa: E731
    return {"name": get("name"), "version": get("version"), "description": get("description"),
            "requires_python": get("requires-python")}


def record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (path, digest, len(data))


def main(out: str) -> str:
    p = project()
    dist = p["name"].replace("-", "_")
    info = "%s-%s.dist-info" % (dist, p["version"])
    path = os.path.join(out, "%s-%s-py3-none-any.whl" % (dist, p["version"]))
    readme = open(os.path.join(HERE, "README.md"), encoding="utf-8").read()
    files = []
    for name in sorted(os.listdir(os.path.join(HERE, "agentops"))):
        if name.endswith(".py") or name == "py.typed":
            with open(os.path.join(HERE, "agentops", name), "rb") as f:
                files.append(("agentops/" + name, f.read()))
    metadata = ("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: %s\nRequires-Python: %s\n"
                "Classifier: Typing :: Typed\nDescription-Content-Type: text/markdown\n\n%s"
                % (p["name"], p["version"], p["description"], p["requires_python"], readme)).encode("utf-8")
    wheel = b"Wheel-Version: 1.0\nGenerator: agentops pack_wheel.py\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files += [(info + "/METADATA", metadata), (info + "/WHEEL", wheel), (info + "/top_level.txt", b"agentops\n")]
    record = "\n".join(record_line(n, d) for n, d in files) + "\n%s/RECORD,,\n" % info
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files:
            z.writestr(name, data)
        z.writestr(info + "/RECORD", record)
    return path


if __name__ == "__main__":
    print(main(sys.argv[1]))
