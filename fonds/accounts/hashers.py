"""Password hashing (issue 8): Argon2id with OWASP's first parameter set (46 MiB, one pass, one lane).

Django's Argon2 defaults cost as much CPU per sign-in as its PBKDF2; this set is as memory-hard
and about five times cheaper. Hashes with other parameters still verify and are re-hashed at the
next sign-in (``must_update``).
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class FjjArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 47104  # KiB: 46 MiB
    parallelism = 1
