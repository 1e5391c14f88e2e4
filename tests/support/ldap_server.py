"""A real OpenLDAP `slapd` (Debian's; the Makefile installs it) on a private port, with a
slapd.conf of its own, an mdb database in a temporary folder and a few people.

Passwords are stored hashed ({SSHA}, made by `slappasswd`), as a directory keeps them;
userPassword is readable by nobody and usable only to bind.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fault_harness import free_port

SLAPD = "/usr/sbin/slapd"
SUFFIX = "dc=ateneo,dc=test"
PEOPLE = f"ou=people,{SUFFIX}"
ROOT_DN, ROOT_PASSWORD = f"cn=admin,{SUFFIX}", "root-secret"

CONFIG = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {folder}/slapd.pid
database mdb
maxsize 10485760
suffix "{suffix}"
rootdn "{root_dn}"
rootpw {root_password}
directory {folder}/data
access to attrs=userPassword by anonymous auth by self auth by * none
access to * by * read
"""

# A certificate for 127.0.0.1, self-signed: the tests give it to timbra as `ca_file`.
TLS = """TLSCertificateFile {folder}/slapd.crt
TLSCertificateKeyFile {folder}/slapd.key
"""


@dataclass(frozen=True)
class Person:
    uid: str
    password: str
    mail: str
    employee_number: str


@dataclass(frozen=True)
class Directory:
    url: str  # ldap:// (StartTLS offered)
    ldaps_url: str
    base_dn: str
    ca_file: str  # the directory's self-signed certificate


def _entry(person: Person, hashed: str) -> str:
    return (f"dn: uid={person.uid},{PEOPLE}\nobjectClass: inetOrgPerson\nuid: {person.uid}\n"
            f"cn: {person.uid}\nsn: {person.uid}\nmail: {person.mail}\n"
            f"employeeNumber: {person.employee_number}\nuserPassword: {hashed}\n\n")


@contextmanager
def running_slapd(folder: Path, people: list[Person]) -> Iterator[Directory]:
    """slapd on 127.0.0.1, its people loaded; stopped (and its files removed) afterwards."""
    if not Path(SLAPD).exists():
        raise RuntimeError(f"{SLAPD} is missing: `make ldap` installs Debian's slapd")
    (folder / "data").mkdir(parents=True)
    _certificate(folder)
    conf = folder / "slapd.conf"
    conf.write_text(TLS.format(folder=folder) + CONFIG.format(
        folder=folder, suffix=SUFFIX, root_dn=ROOT_DN, root_password=ROOT_PASSWORD),
        encoding="utf-8")
    url, ldaps = f"ldap://127.0.0.1:{free_port()}", f"ldaps://127.0.0.1:{free_port()}"
    process = subprocess.Popen([SLAPD, "-f", str(conf), "-h", f"{url}/ {ldaps}/", "-d", "0"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _load(url, folder, people, process)
        yield Directory(url, ldaps, PEOPLE, str(folder / "slapd.crt"))
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


def _certificate(folder: Path) -> None:
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(folder / "slapd.key"), "-out", str(folder / "slapd.crt")],
                   check=True, capture_output=True)


def _load(url: str, folder: Path, people: list[Person], process: subprocess.Popen[bytes]
          ) -> None:
    ldif = f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: ateneo\n" \
           f"o: Ateneo\n\ndn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n\n"
    for person in people:
        hashed = subprocess.run(["slappasswd", "-s", person.password], check=True,
                                capture_output=True, text=True).stdout.strip()
        ldif += _entry(person, hashed)
    (folder / "people.ldif").write_text(ldif, encoding="utf-8")
    deadline = time.monotonic() + 15
    while True:
        added = subprocess.run(["ldapadd", "-x", "-H", url, "-D", ROOT_DN, "-w", ROOT_PASSWORD,
                                "-f", str(folder / "people.ldif")], capture_output=True,
                               text=True, check=False)
        if added.returncode == 0:
            return
        if process.poll() is not None or time.monotonic() > deadline:
            error = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"slapd did not start or load: {added.stderr} {error}")
        time.sleep(0.1)
