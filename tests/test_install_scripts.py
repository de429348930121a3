"""The install path of `make test`, exercised where Chromium and PostgreSQL are absent.

scripts/ensure-postgres.sh and scripts/ensure-chromium.sh look for their binaries where
the environment tells them (SC_PG_BIN_GLOB, SC_SYSROOT) and install with the apt-get it
names (SC_APT_GET). Here they are pointed at an empty folder, so they take their install
path, with an apt-get wrapper that records every call and then:

- for PostgreSQL, when it is cheap and safe (root; postgresql and postgresql-15 installed
  at the archive's versions, with their .debs in apt's cache, so nothing is upgraded or
  downloaded), runs the real `apt-get install --reinstall -y postgresql postgresql-15`
  (4 s on an idle machine, 15 s on a busy one), otherwise `apt-get -s` (a simulation:
  apt resolves the packages and prints what it would do); SC_TEST_APT=real|simulate
  forces either;
- for Chromium, always simulates (a real reinstall downloads ~100 MB and would swap the
  browser under running browser tests);

and then exposes what the packages installed (in /usr/lib/postgresql, /usr/bin, ...)
inside the empty folder, as a real install would have put it where the script looks.
The scripts must then find the binaries and, for PostgreSQL, start a working server.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import stat
import subprocess
import tempfile
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import psycopg
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.serving import free_port

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = REPO / "scripts"
ENSURE_PG = SCRIPTS / "ensure-postgres.sh"
ENSURE_CHROMIUM = SCRIPTS / "ensure-chromium.sh"
ENSURE_NGINX = SCRIPTS / "ensure-nginx.sh"
HAS_APT = shutil.which("apt-get") is not None and shutil.which("apt-cache") is not None
CAN_INSTALL = os.geteuid() == 0 or shutil.which("sudo") is not None

needs_apt = pytest.mark.skipif(
    not (HAS_APT and CAN_INSTALL), reason="needs apt-get and root (or sudo)"
)

# A stand-in for apt-get: records each call; for `install`, then, by $SC_TEST_APT_MODE,
# really installs (real), asks apt what it would do (simulate), does nothing (record) or
# fails as apt does for an unknown package (fail); and then links what was installed into
# the fake root ($SC_TEST_LINKS: "real-path<TAB>fake-path" lines).
FAKE_APT = r"""#!/usr/bin/env bash
set -euo pipefail
printf '%s\n' "$*" >> "$SC_TEST_APT_LOG"
command=""; packages=()
while [ $# -gt 0 ]; do
    case "$1" in
        -o) shift 2 ;;
        -*) shift ;;
        *) if [ -z "$command" ]; then command=$1; else packages+=("$1"); fi; shift ;;
    esac
done
case "$command" in
    update) exit 0 ;;  # recorded above; the machine's lists serve the simulation
    install)
        case "$SC_TEST_APT_MODE" in
            real) apt-get -o DPkg::Lock::Timeout=300 install --reinstall -y \
                      "${packages[@]}" $SC_TEST_APT_EXTRA >> "$SC_TEST_APT_LOG.out" 2>&1 ;;
            simulate) apt-get -s install --reinstall "${packages[@]}" \
                      >> "$SC_TEST_APT_LOG.out" 2>&1 ;;
            record) ;;
            fail) echo "E: Unable to locate package ${packages[*]}" >&2; exit 100 ;;
        esac
        while IFS=$'\t' read -r real fake; do
            [ -n "$real" ] || continue
            mkdir -p "$(dirname "$fake")"
            ln -sfn "$real" "$fake"
        done < "$SC_TEST_LINKS"
        ;;
    *) echo "fake apt-get: unexpected command $command" >&2; exit 64 ;;
esac
"""

# An apt-get that must not be called.
NO_APT = """#!/usr/bin/env bash
printf '%s\\n' "$*" >> "$SC_TEST_APT_LOG"
echo "apt-get must not be called here" >&2
exit 1
"""


@dataclass
class FakeApt:
    path: Path
    log: Path
    links: Path
    env: dict[str, str]

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def output(self) -> str:
        out = Path(f"{self.log}.out")
        return out.read_text() if out.exists() else ""


@pytest.fixture
def public_tmp() -> Iterator[Path]:
    """A folder under /tmp that the postgres system user can reach (pytest's own tmp_path
    sits under a 0700 folder, which initdb run as postgres could not enter)."""
    path = Path(tempfile.mkdtemp(prefix="sc-install-test-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def make_apt(
    folder: Path,
    script: str,
    links: list[tuple[str, Path]],
    mode: str = "simulate",
    extra: str = "",
) -> FakeApt:
    path = folder / "apt-get"
    path.write_text(script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    log = folder / "apt-calls.log"
    links_file = folder / "links.tsv"
    links_file.write_text("".join(f"{real}\t{fake}\n" for real, fake in links))
    env = {
        "SC_APT_GET": str(path),
        "SC_TEST_APT_LOG": str(log),
        "SC_TEST_LINKS": str(links_file),
        "SC_TEST_APT_MODE": mode,
        "SC_TEST_APT_EXTRA": extra,
    }
    return FakeApt(path, log, links_file, env)


def run(
    args: list[str | Path], env: dict[str, str], timeout: float = 120, check: bool = True
) -> subprocess.CompletedProcess[str]:
    full_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SC_") and k not in {"PGPORT_TEST", "CHROMIUM_PATH"}
    }
    full_env.update(env)
    result = subprocess.run(
        [str(a) for a in args], env=full_env, capture_output=True, text=True, timeout=timeout
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{args} exited {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return result


def psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def select_one(url: str) -> int:
    with psycopg.connect(psycopg_url(url), connect_timeout=5) as conn:
        row = conn.execute("SELECT 1").fetchone()
        assert row is not None
        return int(row[0])


@dataclass
class PgCluster:
    port: int
    folder: Path
    env: dict[str, str]


@pytest.fixture
def pg_cluster(public_tmp: Path) -> Iterator[PgCluster]:
    """Settings for a cluster of this test's own (a free port, a folder of its own),
    stopped and deleted afterwards whatever the test did."""
    port = free_port()
    folder = public_tmp / "cluster"
    env = {"PGPORT_TEST": str(port), "SC_PG_DIR": str(folder)}
    cluster = PgCluster(port, folder, env)
    yield cluster
    run([ENSURE_PG, "stop"], env, check=False)  # finds the real binaries to stop it


def real_pg_dirs() -> list[str]:
    return sorted(
        d for d in glob.glob("/usr/lib/postgresql/*") if os.path.isfile(f"{d}/bin/postgres")
    )


# ----------------------------------------------------------------------------- PostgreSQL


def test_scripts_parse() -> None:
    for script in [*SCRIPTS.glob("*.sh"), REPO / ".ci" / "run"]:
        assert os.access(script, os.X_OK), f"{script} is not executable"
        subprocess.run(["bash", "-n", str(script)], check=True)


def test_postgres_start_url_stop_gives_a_reachable_server(
    public_tmp: Path, pg_cluster: PgCluster
) -> None:
    """With PostgreSQL present: no apt-get at all, a server on our own port, reused by a
    second start, gone after stop."""
    if not real_pg_dirs() and not (HAS_APT and CAN_INSTALL):
        pytest.skip("no PostgreSQL server binaries and no way to install them")
    apt = make_apt(public_tmp, NO_APT, [])
    env = {**pg_cluster.env, **apt.env}
    if not real_pg_dirs():
        env.pop("SC_APT_GET")  # first run on a bare machine: let it really install

    started = time.monotonic()
    url = run([ENSURE_PG, "start"], env).stdout.strip()
    first_start = time.monotonic() - started
    expected = f"postgresql+psycopg://postgres@127.0.0.1:{pg_cluster.port}/strategy_canvas_test"
    assert url == expected
    assert run([ENSURE_PG, "url"], env).stdout.strip() == expected
    assert select_one(url) == 1
    if "SC_APT_GET" in env:
        assert apt.calls() == []
    pid = (pg_cluster.folder / "data" / "postmaster.pid").read_text().split()[0]

    again = run([ENSURE_PG, "start"], env)
    assert again.stdout.strip() == url
    assert "reusing" in again.stderr
    assert (pg_cluster.folder / "data" / "postmaster.pid").read_text().split()[0] == pid
    run([ENSURE_PG, "status"], env)

    with psycopg.connect(psycopg_url(url)) as conn:
        listen = conn.execute("SHOW listen_addresses").fetchone()
        assert listen is not None and listen[0] == "127.0.0.1"
        sockets = conn.execute("SHOW unix_socket_directories").fetchone()
        assert sockets is not None and sockets[0] == str(pg_cluster.folder)

    run([ENSURE_PG, "stop"], env)
    assert run([ENSURE_PG, "status"], env, check=False).returncode != 0
    assert not pg_cluster.folder.exists()
    with pytest.raises(psycopg.OperationalError):
        select_one(url)
    run([ENSURE_PG, "stop"], env)  # stopping a stopped cluster is fine
    print(f"PostgreSQL first start: {first_start:.1f} s")


def pg_server_packages() -> list[str]:
    """The Debian packages that hold the installed server binaries (postgresql-15, ...)."""
    owners = set()
    for d in real_pg_dirs():
        query = subprocess.run(
            ["dpkg-query", "-S", f"{d}/bin/postgres"], capture_output=True, text=True, check=False
        )
        if query.returncode == 0:
            owners.add(query.stdout.split(":")[0])
    return sorted(owners)


def can_reinstall_offline(package: str) -> bool:
    """Installed at the archive's version, with that .deb in apt's cache: a reinstall then
    changes nothing on the machine and needs no download."""
    policy = subprocess.run(
        ["apt-cache", "policy", package], capture_output=True, text=True, check=False
    ).stdout
    installed = re.search(r"Installed:\s*(\S+)", policy)
    candidate = re.search(r"Candidate:\s*(\S+)", policy)
    if not (installed and candidate) or installed.group(1) != candidate.group(1):
        return False
    version = installed.group(1).replace(":", "%3a")
    return bool(glob.glob(f"/var/cache/apt/archives/{package}_{version}_*.deb"))


def apt_mode_for_postgres(packages: list[str]) -> str:
    """real: reinstall for real (seconds, when nothing would change or be downloaded);
    simulate otherwise. SC_TEST_APT=real|simulate forces either."""
    forced = os.environ.get("SC_TEST_APT", "")
    if forced in {"real", "simulate"}:
        return forced
    if os.geteuid() != 0 or not packages:
        return "simulate"
    return "real" if all(can_reinstall_offline(p) for p in packages) else "simulate"


@needs_apt
def test_postgres_install_path_when_absent(public_tmp: Path, pg_cluster: PgCluster) -> None:
    if not real_pg_dirs():
        # A bare machine: the suite's own server was installed by this very path already.
        pytest.skip(
            "PostgreSQL is not installed, so there is nothing to expose in the "
            "fake root (make test installs it through the same path)"
        )
    fake_root = public_tmp / "root"
    fake_root.mkdir()
    bin_glob = f"{fake_root}/usr/lib/postgresql/*/bin"
    assert glob.glob(bin_glob) == []
    owners = pg_server_packages()
    # What the script asks for (postgresql) and what holds the binaries (postgresql-15).
    mode = apt_mode_for_postgres(["postgresql", *owners])
    links = [(d, fake_root / d.lstrip("/")) for d in real_pg_dirs()]
    apt = make_apt(public_tmp, FAKE_APT, links, mode=mode, extra=" ".join(owners))
    env = {**pg_cluster.env, **apt.env, "SC_PG_BIN_GLOB": bin_glob}

    started = time.monotonic()
    result = run([ENSURE_PG, "start"], env, timeout=600)
    took = time.monotonic() - started
    url = result.stdout.strip()

    installs = [c for c in apt.calls() if " install " in f" {c} "]
    assert len(installs) == 1, apt.calls()
    assert re.search(r"(^| )-y( |$)", installs[0])
    assert installs[0].split()[-1] == "postgresql"
    assert "no PostgreSQL server binaries" in result.stderr
    if mode == "simulate":
        assert re.search(r"^Inst postgresql ", apt.output(), re.M), apt.output()
    else:
        assert re.search(r"Setting up postgresql-\d+ ", apt.output()), apt.output()
    # The server runs from the binaries the install path found in the fake root.
    assert f"({fake_root}/usr/lib/postgresql/" in result.stderr
    assert select_one(url) == 1
    run([ENSURE_PG, "stop"], env)
    print(f"PostgreSQL install path ({mode} apt-get): {took:.1f} s")


@needs_apt
def test_postgres_unknown_package_refreshes_lists_then_fails_clearly(
    public_tmp: Path, pg_cluster: PgCluster
) -> None:
    """`apt-get update` runs only when apt does not know the package; a failed install is
    retried once after an update, then reported."""
    fake_root = public_tmp / "root"
    fake_root.mkdir()
    apt = make_apt(public_tmp, FAKE_APT, [], mode="fail")
    env = {
        **pg_cluster.env,
        **apt.env,
        "SC_PG_BIN_GLOB": f"{fake_root}/usr/lib/postgresql/*/bin",
        "SC_PG_PACKAGE": "strategy-canvas-no-such-package",
    }
    result = run([ENSURE_PG, "start"], env, check=False)
    assert result.returncode != 0
    assert result.stdout == ""
    verbs = [
        next(w for w in c.split() if not w.startswith("-") and "::" not in w) for c in apt.calls()
    ]
    assert verbs == ["update", "install", "update", "install"]
    assert "still found no" not in result.stderr


# ------------------------------------------------------------------------------- Chromium


def chromium_links(
    fake_root: Path, *, chromium: bool = True, poppler: bool = True, fonts: bool = True
) -> list[tuple[str, Path]]:
    wanted = []
    if chromium:
        wanted.append("/usr/bin/chromium")
    if poppler:
        wanted += ["/usr/bin/pdftotext", "/usr/bin/pdftoppm"]
    if fonts:
        wanted.append("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    return [(p, fake_root / p.lstrip("/")) for p in wanted]


def have_debian_chromium() -> bool:
    return all(os.path.exists(real) for real, _ in chromium_links(Path("/")))


@needs_apt
def test_chromium_install_path_when_absent(public_tmp: Path) -> None:
    if not have_debian_chromium():
        pytest.skip("Debian's chromium, poppler-utils and fonts-dejavu-core are not installed")
    fake_root = public_tmp / "root"
    fake_root.mkdir()
    apt = make_apt(public_tmp, FAKE_APT, chromium_links(fake_root))
    env = {**apt.env, "SC_SYSROOT": str(fake_root)}

    started = time.monotonic()
    result = run([ENSURE_CHROMIUM], env)
    took = time.monotonic() - started

    assert result.stdout.strip() == f"{fake_root}/usr/bin/chromium"
    installs = [c for c in apt.calls() if " install " in f" {c} "]
    assert len(installs) == 1, apt.calls()
    assert installs[0].split()[-3:] == ["chromium", "poppler-utils", "fonts-dejavu-core"]
    for package in ["chromium", "poppler-utils", "fonts-dejavu-core"]:
        assert re.search(rf"^Inst {package} ", apt.output(), re.M), apt.output()
    assert "Chromium" in result.stderr  # it ran the binary it found
    print(f"Chromium install path (simulated apt-get): {took:.1f} s")


@needs_apt
def test_chromium_installs_only_what_is_missing(public_tmp: Path) -> None:
    if not have_debian_chromium():
        pytest.skip("Debian's chromium, poppler-utils and fonts-dejavu-core are not installed")
    fake_root = public_tmp / "root"
    for real, fake in chromium_links(fake_root, poppler=False):
        fake.parent.mkdir(parents=True, exist_ok=True)
        fake.symlink_to(real)
    apt = make_apt(public_tmp, FAKE_APT, chromium_links(fake_root), mode="record")
    result = run([ENSURE_CHROMIUM], {**apt.env, "SC_SYSROOT": str(fake_root)})
    assert result.stdout.strip() == f"{fake_root}/usr/bin/chromium"
    installs = [c for c in apt.calls() if " install " in f" {c} "]
    assert len(installs) == 1 and installs[0].split()[-1] == "poppler-utils", apt.calls()


def test_chromium_present_installs_nothing(public_tmp: Path) -> None:
    """Everything present (a browser named by CHROMIUM_PATH): no apt-get, no root needed."""
    fake_root = public_tmp / "root"
    for _real, fake in chromium_links(fake_root, chromium=False):
        fake.parent.mkdir(parents=True, exist_ok=True)
        fake.write_text("#!/bin/sh\n")
        fake.chmod(0o755)
    browser = public_tmp / "my-chromium"
    browser.write_text("#!/bin/sh\necho 'Chromium 999.0 (a stand-in)'\n")
    browser.chmod(0o755)
    apt = make_apt(public_tmp, NO_APT, [])
    result = run(
        [ENSURE_CHROMIUM], {**apt.env, "SC_SYSROOT": str(fake_root), "CHROMIUM_PATH": str(browser)}
    )
    assert result.stdout.strip() == str(browser)
    assert apt.calls() == []
    assert "Chromium 999.0" in result.stderr


# --------------------------------------------------------------------------------- nginx

# Stand-ins, on a PATH of their own: `apt-get install nginx` puts a fake nginx where
# Debian's goes (under the fake root); systemctl, service and sudo record what they are
# asked; nothing needs root and nothing on the machine is touched.
FAKE_NGINX_APT = r"""#!/usr/bin/env bash
printf '%s\n' "$*" >> "$SC_TEST_APT_LOG"
case " $* " in
    *" install "*)
        nginx="$SC_SYSROOT/usr/sbin/nginx"
        mkdir -p "$(dirname "$nginx")"
        printf '#!/bin/sh\necho "nginx version: nginx/0.0 (a stand-in)"\n' > "$nginx"
        chmod 755 "$nginx" ;;
esac
"""
RECORDER = """#!/usr/bin/env bash
printf '%s %s\\n' "$(basename "$0")" "$*" >> "$SC_TEST_TOOLS_LOG"
"""
FAKE_SUDO = """#!/usr/bin/env bash
printf 'sudo %s\\n' "$*" >> "$SC_TEST_TOOLS_LOG"
exec "$@"
"""
APT_CACHE_KNOWS = """#!/usr/bin/env bash
for p in "$@"; do printf '%s:\\n  Candidate: 1.0\\n' "$p"; done
"""


def nginx_tools(folder: Path) -> dict[str, str]:
    """A PATH holding the stand-ins, then only /usr/bin and /bin (Debian's nginx lives
    in /usr/sbin, so the real one is not found)."""
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    for name, text in {"systemctl": RECORDER, "service": RECORDER, "sudo": FAKE_SUDO,
                       "apt-cache": APT_CACHE_KNOWS}.items():  # fmt: skip
        tool = bin_dir / name
        tool.write_text(text)
        tool.chmod(0o755)
    return {"PATH": f"{bin_dir}:/usr/bin:/bin", "SC_TEST_TOOLS_LOG": str(folder / "tools.log")}


def test_nginx_install_path_when_absent(tmp_path: Path) -> None:
    fake_root = tmp_path / "root"
    fake_root.mkdir()
    apt = make_apt(tmp_path, FAKE_NGINX_APT, [])
    env = {**apt.env, **nginx_tools(tmp_path), "SC_SYSROOT": str(fake_root)}
    result = run([ENSURE_NGINX], env)
    assert result.stdout.strip() == f"{fake_root}/usr/sbin/nginx"
    installs = [c for c in apt.calls() if " install " in f" {c} "]
    assert len(installs) == 1 and installs[0].split()[-2:] == ["-y", "nginx"], apt.calls()
    assert not [c for c in apt.calls() if c.split()[-2:] == ["update", "-q"]]  # apt knew it
    # Debian's own nginx (started by the install on port 80) is stopped and kept off
    tools = (tmp_path / "tools.log").read_text()
    assert "systemctl disable --now nginx" in tools and "service nginx stop" in tools
    assert "no nginx found" in result.stderr


def test_nginx_present_installs_nothing(tmp_path: Path) -> None:
    fake_root = tmp_path / "root"
    (fake_root / "usr/sbin").mkdir(parents=True)
    nginx = fake_root / "usr/sbin/nginx"
    nginx.write_text("#!/bin/sh\n")
    nginx.chmod(0o755)
    apt = make_apt(tmp_path, NO_APT, [])
    tools = nginx_tools(tmp_path)
    result = run([ENSURE_NGINX], {**apt.env, **tools, "SC_SYSROOT": str(fake_root)})
    assert result.stdout.strip() == str(nginx)
    assert apt.calls() == [] and not (tmp_path / "tools.log").exists()
    # a binary named by SC_NGINX is taken as it is; one that is not executable is refused
    mine = tmp_path / "my-nginx"
    mine.write_text("#!/bin/sh\n")
    mine.chmod(0o755)
    result = run([ENSURE_NGINX], {**apt.env, **tools, "SC_NGINX": str(mine)})
    assert result.stdout.strip() == str(mine)
    mine.chmod(0o644)
    result = run([ENSURE_NGINX], {**apt.env, **tools, "SC_NGINX": str(mine)}, check=False)
    assert result.returncode != 0 and result.stdout == ""
    assert f"SC_NGINX={mine} is not an executable" in result.stderr
    assert apt.calls() == []


# --------------------------------------------------------------------------- the lock file


def read_lock() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (REPO / "requirements.lock").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([0-9][^\s;]*)", line)
        assert match, f"requirements.lock: {line!r} is not an exact pin (name==version)"
        name = canonicalize_name(match.group(1))
        assert name not in pins, f"requirements.lock pins {name} twice"
        pins[name] = match.group(2)
    return pins


def test_lock_pins_every_dependency_in_its_range() -> None:
    pins = read_lock()
    assert "strategy-canvas" not in pins
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        declared += extra
    for text in declared:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pins, (
            f"{requirement.name} is in pyproject.toml but not pinned in "
            "requirements.lock: run `make lock`"
        )
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {name}=={pins[name]}, outside pyproject.toml's "
            f"{requirement.specifier}"
        )


def test_installed_versions_are_the_locked_ones() -> None:
    """`make` installs the lock into .venv; a package installed by hand since shows here."""
    pins = read_lock()
    drift = {}
    for name, version in pins.items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            drift[name] = f"{version} locked, not installed"
            continue
        if installed != version:
            drift[name] = f"{version} locked, {installed} installed"
    assert drift == {}, f"the environment differs from requirements.lock: {drift}"
