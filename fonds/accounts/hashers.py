"""Password hashing (issue 8, load test): Argon2id with the first parameter set of the OWASP
Password Storage Cheat Sheet — 46 MiB of memory, one pass, one lane.

Django's own Argon2 defaults (100 MiB, two passes, eight lanes) cost as much CPU per sign-in as
its PBKDF2 (1,000,000 iterations, ~0.2 s here): on a 2-core server that is what signing in costs
most. This set is memory-hard like Django's and about five times cheaper. Hashes made with other
parameters (Django's defaults, PBKDF2) still verify and are re-hashed with these at the next
sign-in (``must_update``).
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class FjjArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 47104  # KiB: 46 MiB
    parallelism = 1
