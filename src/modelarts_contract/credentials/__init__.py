"""Credential sources: which credentials are in force and where they came from (`sources`), the
Huawei SDK's credentials file (`sdk_file`), clouds.yaml (`clouds`), and the bounded IAM token client
(`iam`). They resolve to one frozen `Credentials` value; `auth` signs with what it holds."""

from .iam import IamClient, IssuedToken, RunToken, TokenKeeper
from .model import (
    AKSK,
    PASSWORD,
    TEMPORARY_AKSK,
    TOKEN,
    Credentials,
    CredentialsError,
    IamError,
    PasswordLogin,
    config_fields,
)
from .sources import Given, for_target, resolve

__all__ = [
    "AKSK",
    "PASSWORD",
    "TEMPORARY_AKSK",
    "TOKEN",
    "Credentials",
    "CredentialsError",
    "Given",
    "IamClient",
    "IamError",
    "IssuedToken",
    "PasswordLogin",
    "RunToken",
    "TokenKeeper",
    "config_fields",
    "for_target",
    "resolve",
]
