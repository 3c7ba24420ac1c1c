"""Passwords: Argon2id with OWASP's parameters for new hashes; PBKDF2 hashes still verify and are
re-hashed with Argon2 at the next sign-in (issue 8: sign-in CPU under load)."""

import importlib

import pytest
from django.contrib.auth.hashers import identify_hasher, make_password

PROJECT_HASHERS = importlib.import_module("fonds.settings").PASSWORD_HASHERS  # tests/conftest.py uses MD5


def test_new_passwords_are_hashed_with_argon2id(settings):
    settings.PASSWORD_HASHERS = PROJECT_HASHERS
    encoded = make_password("un mot de passe solide")
    assert encoded.startswith("argon2$argon2id$v=19$m=47104,t=1,p=1$")
    assert identify_hasher(encoded).algorithm == "argon2"


@pytest.mark.django_db
def test_pbkdf2_password_still_verifies_and_is_upgraded_to_argon2(settings, django_user_model):
    settings.PASSWORD_HASHERS = PROJECT_HASHERS
    user = django_user_model.objects.create(
        username="maire@exemple.fr",
        email="maire@exemple.fr",
        password=make_password("un mot de passe solide", hasher="pbkdf2_sha256"),
    )
    assert user.password.startswith("pbkdf2_sha256$")
    assert user.check_password("un mot de passe solide")
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password("un mot de passe solide")
    assert not user.check_password("un autre")
