"""« Mes notifications » and « Mes préférences de notification » (thin views: services elsewhere)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from dsfr.forms import DsfrBaseForm

from fonds.ui.pagination import Page
from fonds.ui.submit import submitted

from . import reading
from .preferences import current, save_preferences


def _querystring(params) -> str:
    qd = QueryDict(mutable=True)
    qd.update({k: v for k, v in params.items() if k != "page"})
    return qd.urlencode()


@login_required
@require_GET
def centre(request):
    """The signed-in person's notifications, newest first, paginated (a constant number of queries)."""
    page = Page(reading.listing(request.user), request.GET, default_size=25)
    querystring = _querystring(request.GET)
    return render(
        request,
        "notifications/centre.html",
        {
            "title": "Mes notifications",
            "nav": "notifications",
            "page": page,
            "page_links": page.links(querystring),
            "neighbours": page.neighbour_urls(querystring),
        },
    )


@login_required
@require_POST
def mark_read(request, pk):
    reading.mark_read(request.user, pk)
    return redirect("notifications:centre")


@login_required
@require_POST
def mark_all_read(request):
    count = reading.mark_all_read(request.user)
    plural = "s" if count > 1 else ""
    messages.success(request, f"{count} notification{plural} marquée{plural} comme lue{plural}.")
    return redirect("notifications:centre")


class PreferencesForm(DsfrBaseForm):
    """One radio group per kind the person may choose for; mandatory notices are shown apart."""

    def __init__(self, rows, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            kind = row["kind"]
            if not row["choices"]:
                continue
            self.fields[kind.code] = forms.ChoiceField(
                label=kind.label,
                choices=row["choices"],
                initial=row["mode"],
                required=False,  # a kind not posted keeps its mode
                widget=forms.RadioSelect,
            )

    def mandatory(self):
        return [row for row in self.rows if not row["choices"]]


@login_required
def preferences(request):
    """Per kind: immediately, in the daily digest, or never (mandatory notices: always)."""
    rows = current(request.user)
    form = PreferencesForm(rows, request.POST or None)
    # a posted mandatory kind reaches the service too: refused there, whatever the page showed
    posted = request.POST
    extra = {
        r["kind"].code: posted[r["kind"].code] for r in rows if not r["choices"] and r["kind"].code in posted
    }
    done, status = submitted(
        request,
        form,
        lambda: save_preferences(
            request.user, {**{k: v for k, v in form.cleaned_data.items() if v}, **extra}
        ),
        then=reverse("notifications:preferences"),
        success=lambda n: "Vos préférences sont enregistrées." if n else "Aucun changement.",
        refusal_on_form=True,
    )
    if done:
        return done
    return render(
        request,
        "notifications/preferences.html",
        {"title": "Mes préférences de notification", "nav": "notifications", "form": form},
        status=status,
    )
