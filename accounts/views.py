from django.contrib.auth.decorators import login_required
from django.http import HttpRequest
from django.shortcuts import render
from django.views.decorators.http import require_GET


@login_required
@require_GET
def no_role(request: HttpRequest):
    """A signed-in user nobody has given a role yet: say so instead of a blank page."""
    return render(request, "accounts/no_role.html", status=403)
