"""The POST of a form that calls one service: the one place where a page turns a service's
refusal into what the user sees, nothing typed lost."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect

from fonds.refusals import Refused


def submitted(request, form, act, *, then, success=None, warning=None, info=None, refusal_on_form=False):
    """When the form is valid, ``act()`` (a service call) runs.

    A refusal (``fonds.refusals.Refused``) is shown with its HTTP status: as a message above the
    re-rendered form, or as a form error with ``refusal_on_form``; a ``ValidationError`` goes on
    its fields (400). On success the messages ``success(result)``, ``warning(result)``,
    ``info(result)`` that say something are shown and the answer is a redirect to ``then`` (a URL,
    or ``then(result)``). Returns ``(redirect or None, status of the page to show)``.
    """
    if request.method != "POST":
        return None, 200
    if not form.is_valid():
        return None, 400
    try:
        result = act()
    except ValidationError as exc:
        by_field = exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]
        for name, errors in by_field:
            form.add_error(name if name in form.fields else None, errors)
        return None, 400
    except Refused as refused:
        if refusal_on_form:
            form.add_error(None, refused.message)
        else:
            messages.error(request, refused.message)
        return None, refused.http_status
    for level, say in ((messages.SUCCESS, success), (messages.WARNING, warning), (messages.INFO, info)):
        text = say(result) if say is not None else ""
        if text:
            messages.add_message(request, level, text)
    return redirect(then(result) if callable(then) else then), 200
