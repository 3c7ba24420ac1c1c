"""Account pages of the front office: accept an invitation (choose a password), reset a
forgotten password by email. Django's auth views with DSFR forms and templates; every password
set through them is audited.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.urls import reverse_lazy
from dsfr.forms import DsfrBaseForm

from fonds.audit import chain as audit
from fonds.ops import outbox

from .invitations import invitation_tokens


class PasswordResetForm(auth_forms.PasswordResetForm, DsfrBaseForm):
    email = forms.EmailField(
        label="Adresse électronique de votre compte",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": "Indiquez votre adresse électronique.",
            "invalid": "Indiquez une adresse électronique valide (par exemple prenom.nom@mairie.fr).",
        },
    )

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        """Queue the email through the outbox (in the view's transaction) instead of sending it in
        the request. The task makes the token itself: no reset link waits in the outbox table."""
        outbox.enqueue(
            "fonds.depot.tasks.send_password_reset",
            context["user"].pk,
            context["domain"],
            context["site_name"],
            context["protocol"],
            subject_template_name,
            email_template_name,
        )


class SetPasswordForm(auth_forms.SetPasswordForm, DsfrBaseForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "Nouveau mot de passe"
        self.fields[
            "new_password1"
        ].help_text = "10 caractères au moins ; évitez un mot de passe courant ou proche de votre adresse."
        self.fields["new_password2"].label = "Confirmez le nouveau mot de passe"
        self.fields["new_password2"].help_text = ""


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm
    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("depot:password-reset-done")
    extra_context = {"title": "Mot de passe oublié"}

    def form_valid(self, form):
        with transaction.atomic():
            return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"
    extra_context = {"title": "Courriel envoyé"}


class _AuditedSetPassword:
    audit_action = ""

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            audit.append(
                self.audit_action,
                actor=form.user,
                role=getattr(form.user, "main_role", ""),
                obj=form.user,
                payload={"email": form.user.email},
            )
        return response


class PasswordResetConfirmView(_AuditedSetPassword, auth_views.PasswordResetConfirmView):
    form_class = SetPasswordForm
    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("depot:password-reset-complete")
    audit_action = "password_reset"
    extra_context = {"title": "Choisir un nouveau mot de passe"}


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"
    extra_context = {"title": "Mot de passe modifié"}


class InvitationView(_AuditedSetPassword, auth_views.PasswordResetConfirmView):
    """The invitation link: choose a password, then land signed in on "Mes dossiers"."""

    form_class = SetPasswordForm
    token_generator = invitation_tokens
    template_name = "depot/invitation.html"
    success_url = reverse_lazy("depot:my-dossiers")
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    audit_action = "invitation_accepted"
    extra_context = {"title": "Activer votre compte"}
