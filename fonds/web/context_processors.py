from fonds.accounts.roles import roles_of


def navigation(request):
    return {"user_roles": roles_of(getattr(request, "user", None))}
