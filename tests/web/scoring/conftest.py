from __future__ import annotations

import pytest
from django.conf import LazySettings


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: LazySettings) -> None:
    """The personas' passwords are set with a cheap hasher: these tests are about scores."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
