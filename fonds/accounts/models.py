from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django_otp.models import Device

from .roles import Role, roles_of


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("L'adresse électronique est obligatoire.")
        email = self.normalize_email(email).lower()
        user = self.model(email=email, username=email, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in with an email address. Roles are groups named after `Role` codes."""

    email = models.EmailField("adresse électronique", unique=True)
    commune = models.ForeignKey(
        "referentiel.Commune",
        verbose_name="commune (porteur)",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="porteurs",
        help_text="Obligatoire pour un porteur : il n'agit que pour cette commune.",
    )
    proconnect_sub = models.CharField(
        "identifiant ProConnect (sub)",
        max_length=255,
        null=True,
        blank=True,
        unique=True,
        help_text="Lié à la première connexion ProConnect (adresse vérifiée) ; ensuite, seul lui identifie.",
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()

    class Meta:
        verbose_name = "utilisateur"
        ordering = ["email"]

    def __str__(self):
        full = self.get_full_name()
        return f"{full} <{self.email}>" if full else self.email

    @property
    def display_name(self) -> str:
        """How pages, messages and documents name the person: « Prénom Nom », or the email address
        of an account without a name."""
        return self.get_full_name() or self.email

    @property
    def roles(self) -> frozenset[str]:
        return roles_of(self)

    @property
    def main_role(self) -> str:
        for role in Role.values:
            if role in self.roles:
                return role
        return ""


class ProConnectDevice(Device):
    """A django-otp device standing for the multi-factor authentication that ProConnect's identity
    provider asserted (``acr``/``amr``): signing in with it marks the session verified, as a TOTP
    code would. It verifies no code itself (``verify_token`` is always false)."""

    class Meta:
        verbose_name = "second facteur ProConnect"

    def verify_token(self, token):
        return False
