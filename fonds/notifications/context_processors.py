from django.utils.functional import SimpleLazyObject

from .reading import unread_count


def unread_notifications(request):
    """The signed-in person's unread count for the header: one COUNT, only if a template reads it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
