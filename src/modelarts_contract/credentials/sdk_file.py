"""The Huawei SDK's credentials file, read as huaweicloudsdkcore's ProfileCredentialProvider reads it.

`HUAWEICLOUD_SDK_CREDENTIALS_FILE`, else `~/.huaweicloud/credentials`: INI, section `[basic]`, keys
`ak`, `sk`, `security_token` and `project_id` (the SDK's own names). The default file is optional;
a file named by the variable must exist.
"""

from __future__ import annotations

import configparser
from collections.abc import Mapping
from pathlib import Path

from .model import AKSK, TEMPORARY_AKSK, Credentials, CredentialsError, checked_secret

FILE_VARIABLE = "HUAWEICLOUD_SDK_CREDENTIALS_FILE"
DEFAULT_FILE = Path(".huaweicloud") / "credentials"  # under the home directory
SECTION = "basic"
MAX_FILE_BYTES = 1 << 20


def sdk_file_path(env: Mapping[str, str], home: Path) -> tuple[Path, bool]:
    """(the file, whether the user named it): named files must exist, the default need not."""
    named = env.get(FILE_VARIABLE)
    if named:
        return Path(named).expanduser(), True
    return home / DEFAULT_FILE, False


def read_sdk_file(path: Path, named: bool) -> Credentials | None:
    """The AK/SK in `path`'s `[basic]` section; None when the default file is absent."""
    where = f"{FILE_VARIABLE} {path}" if named else f"SDK credentials file {path}"
    if not path.is_file():
        if named:
            raise CredentialsError(f"{where}: no such file")
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise CredentialsError(f"{where}: larger than {MAX_FILE_BYTES} bytes, not a credentials file")
        parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    except (configparser.Error, UnicodeError, OSError) as exc:
        raise CredentialsError(f"{where}: not readable as INI ({type(exc).__name__})") from None
    if not parser.has_section(SECTION):
        raise CredentialsError(f"{where}: no [{SECTION}] section (the SDK reads ak and sk from it)")
    entry = parser[SECTION]
    ak = checked_secret(f"{where} [{SECTION}] ak", entry.get("ak"))
    sk = checked_secret(f"{where} [{SECTION}] sk", entry.get("sk"))
    token = checked_secret(f"{where} [{SECTION}] security_token", entry.get("security_token"))
    if not (ak and sk):
        missing = "ak" if not ak else "sk"
        raise CredentialsError(f"{where} [{SECTION}]: no {missing} (the SDK needs ak and sk)")
    return Credentials(
        mode=TEMPORARY_AKSK if token else AKSK,
        source=f"file {path} [{SECTION}]",
        ak=ak,
        sk=sk,
        security_token=token,
        project_id=entry.get("project_id") or None,
    )
